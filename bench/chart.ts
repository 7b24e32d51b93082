// The SVG chart: for each workload, latency (p50 bar, p99 whisker) and throughput per system,
// one bar per concurrency, on log scales (the systems differ by orders of magnitude). Drawn
// with Vega, which renders SVG headless in Node without a DOM or canvas.
import * as vega from 'vega';
import type { BenchResults } from './model.ts';

const panelWidth = 430;
const panelHeight = 170;
const columnGap = 90;
const rowGap = 120;
const colors = ['#9ecae1', '#4292c6', '#08306b'];

export async function renderChart(results: BenchResults, heading = `teejs benchmark (${results.mode}), ${results.machine.date.slice(0, 10)}`): Promise<string> {
  const systems = results.systems.filter((s) => results.cells.some((c) => c.system === s.id && c.status !== 'not-applicable'));
  const shortOf = new Map(systems.map((s) => [s.id, s.short]));
  const concurrencyLabels = results.plan.concurrencies.map((c) => `c=${c}`);
  const data: vega.Data[] = [];
  const marks: vega.Mark[] = [];

  results.workloads.forEach((workload, row) => {
    const values = results.cells
      .filter((c) => c.workload === workload.id && c.stats && c.status !== 'failed' && shortOf.has(c.system))
      .map((c) => ({ system: shortOf.get(c.system), c: `c=${c.concurrency}`, p50: c.stats!.p50Ms, p99: c.stats!.p99Ms, throughput: c.stats!.throughput }));
    const absent = systems
      .filter((s) => !values.some((v) => v.system === s.short))
      .map((s) => ({ system: s.short, why: s.status === 'missing' ? 'missing' : 'n/a' }));
    data.push({ name: `cells_${row}`, values }, { name: `absent_${row}`, values: absent });
    const y = row * (panelHeight + rowGap) + 40;
    const shorts = systems.map((s) => s.short);
    marks.push(panel(row, 0, y, `${workload.label}: latency (ms, log), bar p50, whisker to p99`, 'latency', shorts, concurrencyLabels));
    marks.push(panel(row, panelWidth + columnGap, y, `${workload.label}: throughput (requests/s, log)`, 'throughput', shorts, concurrencyLabels));
  });

  const spec: vega.Spec = {
    $schema: 'https://vega.github.io/schema/vega/v6.json',
    width: panelWidth * 2 + columnGap,
    height: results.workloads.length * (panelHeight + rowGap),
    padding: 16,
    background: 'white',
    title: {
      text: heading,
      subtitle: `${results.machine.cores} cores, ${results.machine.cpuModel}, Node ${results.machine.node}; concurrency = requests in flight`,
      anchor: 'start',
    },
    data,
    scales: [{ name: 'color', type: 'ordinal', domain: concurrencyLabels, range: colors }],
    legends: [{ fill: 'color', orient: 'top-right', direction: 'horizontal', title: 'concurrency' }],
    marks,
  };
  const view = new vega.View(vega.parse(spec), { renderer: 'none' });
  return view.toSVG();
}

function panel(
  row: number,
  x: number,
  y: number,
  title: string,
  metric: 'latency' | 'throughput',
  systems: string[],
  concurrencyLabels: string[],
): vega.GroupMark {
  const source = `cells_${row}`;
  const valueField = metric === 'latency' ? 'p50' : 'throughput';
  const extentFields = metric === 'latency' ? ['p50', 'p99'] : ['throughput'];
  const bars: vega.Mark[] = [
    {
      type: 'rect',
      from: { data: 'series' },
      encode: {
        enter: {
          x: { scale: 'inner', field: 'c' },
          width: { scale: 'inner', band: 1 },
          y: { scale: 'y', field: valueField },
          y2: { signal: 'height' },
          fill: { scale: 'color', field: 'c' },
          tooltip: { signal: `datum.system + ' ' + datum.c + ': p50 ' + datum.p50 + ' ms, p99 ' + datum.p99 + ' ms, ' + datum.throughput + '/s'` },
        },
      },
    },
  ];
  if (metric === 'latency') {
    bars.push({
      type: 'rule',
      from: { data: 'series' },
      encode: {
        enter: {
          x: { scale: 'inner', field: 'c', band: 0.5 },
          y: { scale: 'y', field: 'p50' },
          y2: { scale: 'y', field: 'p99' },
          stroke: { value: '#d62728' },
          strokeWidth: { value: 1.5 },
        },
      },
    });
  }
  return {
    type: 'group',
    encode: { enter: { x: { value: x }, y: { value: y }, width: { value: panelWidth }, height: { value: panelHeight } } },
    // Scales and marks inside read `width` and `height` as signals: without these they would
    // see the whole chart's.
    signals: [
      { name: 'width', value: panelWidth },
      { name: 'height', value: panelHeight },
    ],
    title: { text: title, anchor: 'start', fontSize: 12, offset: 8 },
    scales: [
      { name: 'x', type: 'band', domain: systems, range: 'width', padding: 0.2 },
      {
        name: 'y',
        type: 'log',
        domain: { fields: extentFields.map((field) => ({ data: source, field })) },
        range: 'height',
        nice: true,
        zero: false,
      },
    ],
    axes: [
      { orient: 'bottom', scale: 'x', labelAngle: -25, labelAlign: 'right', labelBaseline: 'top' },
      { orient: 'left', scale: 'y', grid: true, tickCount: 5, format: metric === 'latency' ? '~g' : '~s' },
    ],
    marks: [
      {
        type: 'group',
        from: { facet: { data: source, name: 'series', groupby: 'system' } },
        encode: {
          enter: {
            x: { scale: 'x', field: 'system' },
            width: { scale: 'x', band: 1 },
            height: { field: { group: 'height' } },
          },
        },
        signals: [{ name: 'width', update: 'bandwidth("x")' }],
        scales: [{ name: 'inner', type: 'band', domain: concurrencyLabels, range: 'width' }],
        marks: bars,
      },
      {
        type: 'text',
        from: { data: `absent_${row}` },
        encode: {
          enter: {
            x: { scale: 'x', field: 'system', band: 0.5 },
            y: { signal: 'height - 6' },
            text: { field: 'why' },
            align: { value: 'center' },
            fill: { value: '#888' },
            fontStyle: { value: 'italic' },
          },
        },
      },
    ],
  };
}
