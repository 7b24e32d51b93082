import YAML from 'yaml';

const text = `# service configuration
name: teejs
limits:
  timeoutMs: 30000
  memoryMb: 128   # per isolate
hosts: [api.example.org, "cdn.example.org"]
defaults: &defaults { retries: 3 }
job:
  <<: *defaults
  schedule: "*/5 * * * *"
notes: |
  two
  lines
`;

export default () => {
  const value = YAML.parse(text, { merge: true });
  const document = YAML.parseDocument(text);
  document.setIn(['limits', 'memoryMb'], 256);
  return { value, stringified: YAML.stringify({ list: [1, 'two', { three: 3 }], empty: null, date: '2026-12-02' }), edited: document.toString(), error: YAML.parseDocument('a: [1, 2').errors.map((e) => e.code) };
};
