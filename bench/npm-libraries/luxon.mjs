import { DateTime, Duration, Interval } from 'luxon';

export default () => {
  const start = DateTime.fromISO('2026-12-02T10:30:00', { zone: 'utc' });
  const end = start.plus({ months: 3, days: 5 });
  return {
    end: end.toISO(),
    newYork: start.setZone('America/New_York').toISO(),
    tokyo: start.setZone('Asia/Tokyo').toFormat('yyyy-MM-dd HH:mm ZZZZ'),
    german: start.setLocale('de').toFormat('cccc, d. LLLL yyyy'),
    days: Interval.fromDateTimes(start, end).length('days'),
    duration: Duration.fromObject({ hours: 26, minutes: 5 }).shiftTo('days', 'hours', 'minutes').toObject(),
    weekNumber: start.weekNumber,
    invalid: DateTime.fromISO('2026-13-45').invalidReason,
  };
};
