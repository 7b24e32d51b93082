// Cron expressions of schedules, parsed by croner: 5 fields (minute hour day month weekday) or 6
// (seconds first), in an IANA time zone, so "0 9 * * 1-5" in Europe/Berlin means 09:00 there,
// across daylight-saving changes. A bad expression or zone is a 400 naming the field.
import { Cron } from 'croner';
import { ApiError } from '../errors.ts';

export interface CronSchedule {
  /** The first tick strictly after `after`, or null when there is none (a date in the past). */
  next(after: Date): Date | null;
}

export function parseCron(expression: string, timezone: string): CronSchedule {
  try {
    new Intl.DateTimeFormat('en', { timeZone: timezone });
  } catch {
    throw new ApiError(400, 'VALIDATION_ERROR', `body/timezone: '${timezone}' is not an IANA time zone (e.g. UTC, Europe/Berlin)`);
  }
  const fields = expression.trim().split(/\s+/).length;
  if (fields !== 5 && fields !== 6) {
    throw new ApiError(400, 'VALIDATION_ERROR', `body/cron: expected 5 fields (minute hour day month weekday) or 6 (seconds first), got ${fields}`);
  }
  let cron: Cron;
  try {
    cron = new Cron(expression, { timezone, paused: true });
  } catch (error) {
    throw new ApiError(400, 'VALIDATION_ERROR', `body/cron: ${(error as Error).message}`);
  }
  return { next: (after) => cron.nextRun(after) ?? null };
}
