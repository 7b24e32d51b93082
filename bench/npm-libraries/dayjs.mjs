import dayjs from 'dayjs';
import customParseFormat from 'dayjs/plugin/customParseFormat.js';
import duration from 'dayjs/plugin/duration.js';
import utc from 'dayjs/plugin/utc.js';

dayjs.extend(utc);
dayjs.extend(duration);
dayjs.extend(customParseFormat);

export default () => {
  const start = dayjs.utc('2026-12-02T10:30:00Z');
  return {
    nextMonth: start.add(1, 'month').format('YYYY-MM-DD HH:mm dddd'),
    endOfYear: start.endOf('year').toISOString(),
    days: dayjs.utc('2027-03-01').diff(start, 'day'),
    parsed: dayjs.utc('02/12/2026 08:15', 'DD/MM/YYYY HH:mm').toISOString(),
    duration: dayjs.duration({ hours: 26, minutes: 5 }).toISOString(),
    invalid: dayjs('not a date').isValid(),
  };
};
