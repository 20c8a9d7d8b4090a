import { describe, expect, it } from 'vitest';
import { callerIdFrom, quotedDisplayName } from '../../../src/calls/dialer/caller-id.ts';
import { legSpecs } from '../../../src/calls/dialer/leg-specs.ts';
import {
  admit,
  dialledNumber,
  headerUser,
  isTrunkSource,
} from '../../../src/calls/inbound/admission.ts';
import { exitResponse } from '../../../src/calls/actions/exit-response.ts';
import { logOutcome } from '../../../src/calls/recorder/call-recorder.ts';
import { refusedMediaAnswer } from '../../../src/calls/inbound/feature-code-call.ts';
import { classifyUacFailure, ringFailureOf } from '../../../src/calls/sip/sip-failure.ts';
import { answerSessionTimer } from '../../../src/calls/sip/session-timer.ts';

describe('admission helpers', () => {
  it('takes the dialled number from the Request-URI, else from To', () => {
    expect(dialledNumber('sip:+4930100@acd.local;user=phone', undefined)).toBe('+4930100');
    expect(dialledNumber('sip:acd.local', '"Sales" <sip:4930100@acd.local>')).toBe('4930100');
    expect(dialledNumber('sip:acd.local', undefined)).toBeNull();
    expect(headerUser('garbage')).toBeNull();
  });

  it('matches trunk addresses with or without a port, IPv6 in brackets', () => {
    const trunks = ['203.0.113.5', '198.51.100.7:5080', '[2001:db8::1]'];
    expect(isTrunkSource(trunks, '203.0.113.5', 40000)).toBe(true);
    expect(isTrunkSource(trunks, '198.51.100.7', 5080)).toBe(true);
    expect(isTrunkSource(trunks, '198.51.100.7', 5060)).toBe(false);
    expect(isTrunkSource(trunks, '2001:db8::1', 5060)).toBe(true);
    expect(isTrunkSource(trunks, '203.0.113.50', 5060)).toBe(false);
  });

  it('checks the source before the number, so strangers learn nothing about numbers', async () => {
    let looked = 0;
    const r = await admit(
      {
        uri: 'sip:1@x',
        to: undefined,
        from: '<sip:a@b>',
        sourceAddress: '192.0.2.9',
        sourcePort: 5,
      },
      { trunkAddresses: [], registeredAgentAt: async () => null },
      {
        route: async () => {
          looked++;
          return null;
        },
      },
    );
    expect(r).toMatchObject({ kind: 'refuse', status: 403 });
    expect(looked).toBe(0);
  });
});

describe('exit responses', () => {
  const base = { type: 'reject' as const, callId: 'c' };
  it('maps each reason to one final response', () => {
    expect(
      exitResponse({ ...base, reason: 'out-of-hours', exit: { kind: 'hangup' } }, null),
    ).toEqual({
      status: 480,
      reason: 'Out Of Hours',
    });
    expect(
      exitResponse({ ...base, reason: 'queue-full', exit: { kind: 'hangup' } }, null).status,
    ).toBe(486);
    expect(
      exitResponse({ ...base, reason: 'no-agent', exit: { kind: 'voicemail' } }, null).reason,
    ).toBe('No Agent Available (No Voicemail)');
  });

  it('forwards with a 302 to the number through the trunk', () => {
    const r = exitResponse(
      { ...base, reason: 'max-wait', exit: { kind: 'forward', number: '+4930999' } },
      'sip:trunk.example;transport=tcp',
    );
    expect(r).toEqual({
      status: 302,
      reason: 'Moved Temporarily',
      headers: { Contact: '<sip:+4930999@trunk.example;transport=tcp>' },
    });
  });

  it('names the call-log outcome', () => {
    expect(logOutcome('rejected', 'out-of-hours', 'hangup')).toBe('out-of-hours');
    expect(logOutcome('rejected', 'no-agent', 'voicemail')).toBe('no-agent');
    expect(logOutcome('rejected', 'max-wait', 'forward')).toBe('overflowed');
    expect(logOutcome('abandoned', undefined, undefined)).toBe('abandoned');
  });
});

describe('caller ID', () => {
  it('shows the caller number and the department name', () => {
    expect(callerIdFrom('+4917012345', 'Sales')).toBe(
      '"+4917012345 Sales" <sip:+4917012345@localhost>',
    );
  });

  it('escapes quotes and drops control characters; withheld numbers are anonymous', () => {
    expect(quotedDisplayName('A "B" \\ C\r\nD\u0007')).toBe('"A \\"B\\" \\\\ C D"');
    expect(callerIdFrom('', 'Support')).toBe('"anonymous Support" <sip:anonymous@localhost>');
    expect(callerIdFrom('<evil>@x', 'S')).toBe('"<evil>@x S" <sip:evilx@localhost>');
  });

  it('keeps the Contact a plain URI when the department name holds quotes', () => {
    const plan = {
      legs: [
        {
          kind: 'softphone' as const,
          contactUri: 'sip:1001@192.0.2.1:5062',
          requestUri: 'sip:1001@192.0.2.1:5062',
          nextHop: 'sip:192.0.2.1:5062',
          delayMs: 0,
        },
      ],
    };
    const [spec] = legSpecs(plan as never, {
      caller: '+4917012345',
      departmentName: 'Sales "VIP" <b>',
      sdp: 'v=0',
    });
    expect(spec?.request.headers).toEqual({
      From: '"+4917012345 Sales \\"VIP\\" <b>" <sip:+4917012345@localhost>',
      Contact: '<sip:+4917012345@localhost>',
      Supported: 'timer',
      'Session-Expires': '1800',
    });
  });
});

describe('SIP failures', () => {
  it('classifies SipError statuses and transport errors in one place', () => {
    expect(classifyUacFailure({ status: 486 })).toEqual({ status: 486, failure: 'busy' });
    expect(classifyUacFailure(new Error('ECONNREFUSED'))).toEqual({
      status: null,
      failure: 'unreachable',
    });
    expect(ringFailureOf(['unreachable', 'busy'])).toBe('busy');
    expect(ringFailureOf(['unreachable', 'declined', 'busy'])).toBe('declined');
    expect(ringFailureOf(['failed'])).toBe('unreachable');
    expect(ringFailureOf(['cancelled'])).toBe('no-answer');
  });

  it('answers a feature code with every stream refused', () => {
    const sdp = refusedMediaAnswer(
      'v=0\r\no=x 1 1 IN IP4 1.2.3.4\r\ns=-\r\nc=IN IP4 1.2.3.4\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\na=sendrecv\r\n',
    );
    expect(sdp).toContain('m=audio 0 RTP/AVP 0');
    expect(sdp).not.toContain('a=sendrecv');
  });
});

describe('session timer on the answer to a caller', () => {
  const headers =
    (h: Record<string, string>) =>
    (name: string): string | undefined =>
      h[name];

  it('none when the caller does not support timers', () => {
    expect(answerSessionTimer(headers({}))).toBeUndefined();
    expect(answerSessionTimer(headers({ 'Session-Expires': '600' }))).toBeUndefined();
  });

  it('30 minutes, refreshed by the caller, when it supports timers but asks nothing', () => {
    expect(answerSessionTimer(headers({ Supported: 'replaces, timer' }))).toEqual({
      'Session-Expires': '1800;refresher=uac',
      Require: 'timer',
    });
  });

  it("keeps the caller's interval (at least 90 s) and refresher", () => {
    expect(
      answerSessionTimer(headers({ Supported: 'timer', 'Session-Expires': '600;refresher=uas' })),
    ).toEqual({ 'Session-Expires': '600;refresher=uas', Require: 'timer' });
    expect(answerSessionTimer(headers({ Require: 'timer', 'Session-Expires': '30' }))).toEqual({
      'Session-Expires': '90;refresher=uac',
      Require: 'timer',
    });
  });
});
