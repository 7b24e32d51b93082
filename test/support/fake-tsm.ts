// A fake Linux configfs-tsm report directory for tests: a real temporary directory where the
// kernel's part (attribute files appearing in a new entry, outblob computed from inblob,
// generation counting writes) is played by the TsmFs hooks.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TsmFs } from '../../src/attestation/evidence/configfs-tsm.ts';

const fixtures = fileURLToPath(new URL('../fixtures/dcap-qvl/', import.meta.url));

/**
 * An Intel TDX quote of version 4 or 5 with `reportData` in its TD report: a genuine quote of
 * test/fixtures/dcap-qvl (tdx_quote, tdx_quote_outdated) whose report-data field is replaced,
 * so it parses like a real one and its signature no longer verifies (as a forged quote).
 */
export function fakeTdxQuote(reportData: Uint8Array, version: 4 | 5 = 4): Buffer {
  const quote = readFileSync(path.join(fixtures, version === 4 ? 'tdx_quote' : 'tdx_quote_outdated'));
  const at = version === 4 ? 48 + 520 : 48 + 6 + 520;
  Buffer.from(reportData).copy(quote, at);
  return quote;
}

/** An AMD SEV-SNP attestation report (version 2, ECDSA P-384) with `reportData` at 0x50. */
export function fakeSnpReport(reportData: Uint8Array): Buffer {
  const report = Buffer.alloc(1184);
  report.writeUInt32LE(2, 0);
  report.writeUInt32LE(1, 0x34);
  Buffer.from(reportData).copy(report, 0x50);
  return report;
}

export interface FakeTsm {
  root: string;
  fs: TsmFs;
  /** Entries made so far (quotes requested). */
  readonly requests: number;
  /** Makes the next reads of outblob fail with this errno code. */
  failReads(code: string | null): void;
  /** Makes the next entries report this generation after the write (a concurrent writer). */
  skewGeneration(by: number): void;
  remove(): void;
}

export function fakeTsm(provider: 'tdx_guest' | 'sev_guest' = 'tdx_guest'): FakeTsm {
  const root = path.join(mkdtempSync(path.join(os.tmpdir(), 'teejs-tsm-')), 'report');
  mkdirSync(root);
  let requests = 0;
  let failing: string | null = null;
  let skew = 0;
  const errno = (code: string) => Object.assign(new Error(`${code}: fake configfs-tsm`), { code });
  const files: TsmFs = {
    stat: (target) => fs.stat(target),
    async mkdir(target) {
      await fs.mkdir(target);
      requests++;
      writeFileSync(path.join(target, 'provider'), `${provider}\n`);
      writeFileSync(path.join(target, 'generation'), '0\n');
    },
    async writeFile(target, data) {
      await fs.writeFile(target, data);
      if (path.basename(target) !== 'inblob') return;
      const entry = path.dirname(target);
      const generation = Number(readFileSync(path.join(entry, 'generation'), 'utf8')) + 1 + skew;
      writeFileSync(path.join(entry, 'generation'), `${generation}\n`);
      writeFileSync(path.join(entry, 'outblob'), provider === 'tdx_guest' ? fakeTdxQuote(data) : fakeSnpReport(data));
    },
    async readFile(target) {
      if (failing && path.basename(target) === 'outblob') throw errno(failing);
      return fs.readFile(target);
    },
    async rmdir(target) {
      // The kernel removes an entry with its attribute files; a plain directory needs rm -r.
      rmSync(target, { recursive: true, force: true });
    },
  };
  return {
    root,
    fs: files,
    get requests() {
      return requests;
    },
    failReads(code) {
      failing = code;
    },
    skewGeneration(by) {
      skew = by;
    },
    remove() {
      rmSync(path.dirname(root), { recursive: true, force: true });
    },
  };
}
