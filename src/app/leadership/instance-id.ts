/**
 * This instance's name: `leadership.instanceId`, or the host name and pid
 * (unique among processes running at the same time, readable in logs).
 */
import os from 'node:os';
import type { Config } from '../settings/config.ts';

export function instanceId(config: Config): string {
  if (config.leadership.instanceId !== null) return config.leadership.instanceId;
  const host =
    os
      .hostname()
      .replace(/[^A-Za-z0-9._-]/g, '-')
      .slice(0, 48) || 'host';
  return `${host}:${process.pid}`;
}
