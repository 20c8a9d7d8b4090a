/**
 * What a waiting caller hears about callbacks, as prompt names (texts in
 * `media/phrase-text.ts`). Pure.
 */

/** "To be called back without losing your place in the queue, press 2." */
export function callbackHintPrompts(key: string): string[] {
  if (!/^[0-9]$/.test(key)) throw new RangeError(`not a callback key: ${key}`);
  return ['callback-hint', `n-${key}`];
}

/** An E.164 number digit by digit: "plus four nine three zero ...". */
export function numberDigitPrompts(number: string): string[] {
  const words = number.startsWith('+') ? ['plus'] : [];
  for (const c of number) if (/[0-9]/.test(c)) words.push(`n-${c}`);
  return words;
}

/** The sentences of the callback dialogue, as prompt names. */
export const CALLBACK_PROMPTS: {
  readonly enter: string[];
  readonly refused: string[];
  confirm(number: string): string[];
  readonly kept: string[];
} = {
  /** "Please enter the number we should call you back on, ... then press pound." */
  enter: ['callback-enter'],
  /** "We are sorry. We cannot call you back on that number." */
  refused: ['callback-refused'],
  /** "We will call you back on <number>." */
  confirm: (number: string) => ['callback-on', ...numberDigitPrompts(number)],
  /** "You keep your place in the queue, ..." then goodbye. */
  kept: ['callback-kept', 'goodbye'],
};
