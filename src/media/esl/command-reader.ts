/**
 * Assembles client commands from the byte stream: a command line, optional
 * `Name: value` header lines, an empty line; `\r` tolerated, leading empty
 * lines skipped, a `Content-Length` header announces a body. modesl writes
 * each line as a separate socket write, so a command usually arrives in
 * several pieces.
 */

export interface EslCommand {
  line: string;
  headers: Map<string, string>;
  body?: string;
}

/** Limits that make a garbage stream end in a clear error instead of unbounded buffering. */
export const MAX_HEAD_BYTES = 64 * 1024;
export const MAX_BODY_BYTES = 1024 * 1024;

export type ReadResult = { ok: true; commands: EslCommand[] } | { ok: false; error: string };

export class CommandReader {
  private buffer: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): ReadResult {
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    const commands: EslCommand[] = [];
    for (;;) {
      // Leading empty lines are skipped.
      let start = 0;
      while (
        start < this.buffer.length &&
        (this.buffer[start] === 0x0a || this.buffer[start] === 0x0d)
      )
        start++;
      if (start > 0) this.buffer = this.buffer.subarray(start);
      const end = findBlankLine(this.buffer);
      if (end === undefined) {
        if (this.buffer.length > MAX_HEAD_BYTES) {
          return { ok: false, error: `no end of command after ${this.buffer.length} bytes` };
        }
        return { ok: true, commands };
      }
      const head = this.buffer.subarray(0, end.headEnd).toString('utf8');
      const lines = head.split('\n').map((l) => l.replace(/\r$/, ''));
      const line = lines.shift() ?? '';
      const headers = new Map<string, string>();
      for (const l of lines) {
        const i = l.indexOf(':');
        if (i <= 0) continue;
        headers.set(l.slice(0, i).trim().toLowerCase(), l.slice(i + 1).trim());
      }
      const lenText = headers.get('content-length');
      let bodyLen = 0;
      if (lenText !== undefined) {
        bodyLen = Number(lenText);
        if (!Number.isInteger(bodyLen) || bodyLen < 0 || bodyLen > MAX_BODY_BYTES) {
          return { ok: false, error: `bad Content-Length "${lenText}"` };
        }
      }
      if (this.buffer.length < end.bodyStart + bodyLen) return { ok: true, commands };
      const cmd: EslCommand = { line, headers };
      if (lenText !== undefined) {
        cmd.body = this.buffer.subarray(end.bodyStart, end.bodyStart + bodyLen).toString('utf8');
      }
      this.buffer = this.buffer.subarray(end.bodyStart + bodyLen);
      commands.push(cmd);
    }
  }
}

function findBlankLine(buf: Buffer): { headEnd: number; bodyStart: number } | undefined {
  for (let i = 0; i < buf.length; i++) {
    if (buf[i] !== 0x0a) continue;
    // "\n\n" or "\n\r\n"
    if (buf[i + 1] === 0x0a) return { headEnd: i, bodyStart: i + 2 };
    if (buf[i + 1] === 0x0d && buf[i + 2] === 0x0a) return { headEnd: i, bodyStart: i + 3 };
  }
  return undefined;
}
