/**
 * The text of every shipped prompt, by file name (without `.wav`). The prompt
 * script (`npm run prompts`) speaks each one into `media/prompts/en/<name>.wav`;
 * `phrases.ts` strings them together. A replacement prompt folder (another
 * language, another voice) must hold a file for every name listed here.
 */
const ONES = [
  'zero',
  'one',
  'two',
  'three',
  'four',
  'five',
  'six',
  'seven',
  'eight',
  'nine',
  'ten',
  'eleven',
  'twelve',
  'thirteen',
  'fourteen',
  'fifteen',
  'sixteen',
  'seventeen',
  'eighteen',
  'nineteen',
] as const;
const TENS = [
  'twenty',
  'thirty',
  'forty',
  'fifty',
  'sixty',
  'seventy',
  'eighty',
  'ninety',
] as const;
export const WEEKDAY_NAMES = [
  'sunday',
  'monday',
  'tuesday',
  'wednesday',
  'thursday',
  'friday',
  'saturday',
] as const;

function numberTexts(): Record<string, string> {
  const t: Record<string, string> = {};
  ONES.forEach((w, i) => {
    t[`n-${i}`] = w;
  });
  TENS.forEach((w, i) => {
    t[`n-${(i + 2) * 10}`] = w;
  });
  t['n-hundred'] = 'hundred';
  return t;
}

export const PHRASE_TEXT: Readonly<Record<string, string>> = {
  welcome:
    'Thank you for calling. Please hold, and the next available agent will be with you shortly.',
  'caller-number': 'You are caller number',
  'expected-wait': 'Your expected wait is about',
  'wait-under-minute': 'Your expected wait is less than a minute.',
  minute: 'minute.',
  minutes: 'minutes.',
  'exit-hint': 'To leave the queue at any time, press',
  'key-star': 'star.',
  'key-pound': 'pound.',
  'queue-full':
    'We are sorry. All our agents are busy and the queue is full. Please call again later.',
  'no-agent': 'We are sorry. No agent is available to take your call at the moment.',
  'max-wait': 'We are sorry. We could not answer your call in time.',
  'out-of-hours': 'Thank you for calling. We are closed at the moment.',
  'open-again': 'We are open again',
  'open-later': 'We will be open again later.',
  on: 'on',
  at: 'at',
  today: 'today',
  tomorrow: 'tomorrow',
  am: 'a.m.',
  pm: 'p.m.',
  noon: 'noon',
  midnight: 'midnight',
  oh: 'oh',
  goodbye: 'Goodbye.',
  'recording-notice': 'This call may be recorded.',
  voicemail:
    'Please leave a message after the tone. When you are done, hang up or press the pound key.',
  // Heard by an agent whose mobile answered: "Call for <department name prompt>, press 1 to accept."
  'call-for': 'Call for',
  'your-department': 'your department.',
  'press-one-to-accept': 'Press 1 to accept.',
  'callback-hint': 'To be called back without losing your place in the queue, press',
  'callback-on': 'We will call you back on',
  'callback-enter':
    'Please enter the number we should call you back on, starting with the country code, then press pound.',
  'callback-refused': 'We are sorry. We cannot call you back on that number.',
  'callback-kept':
    'You keep your place in the queue, and we will call you back when it is your turn.',
  plus: 'plus',
  ...Object.fromEntries(WEEKDAY_NAMES.map((d) => [d, d])),
  ...numberTexts(),
};

/**
 * Prompts that are tones, not speech: the prompt script synthesises them
 * (the beep after the voicemail prompt: 1 kHz, 0.4 s).
 */
export const TONE_PROMPTS: Readonly<Record<string, { hz: number; seconds: number }>> = {
  beep: { hz: 1000, seconds: 0.4 },
};

/** Every file name a complete prompt folder holds (without `.wav`). */
export function promptFileNames(): string[] {
  return [...Object.keys(PHRASE_TEXT), ...Object.keys(TONE_PROMPTS)].sort();
}
