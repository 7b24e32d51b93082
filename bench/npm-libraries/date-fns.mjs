// Local dates in and out, so the result does not depend on the machine's time zone.
import { addDays, addMonths, differenceInCalendarDays, format, isWeekend, parseISO, startOfWeek } from 'date-fns';

export default () => {
  const start = new Date(2026, 11, 2);
  const due = addDays(start, 30);
  return {
    due: format(due, 'yyyy-MM-dd EEEE'),
    days: differenceInCalendarDays(due, start),
    nextMonth: format(addMonths(start, 1), 'd MMMM yyyy'),
    leapDay: format(addDays(parseISO('2024-02-28'), 1), 'yyyy-MM-dd'),
    weekStarts: format(startOfWeek(start, { weekStartsOn: 1 }), 'EEE d MMM'),
    weekend: isWeekend(due),
  };
};
