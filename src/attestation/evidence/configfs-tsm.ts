// Hardware evidence through Linux configfs-tsm (Documentation/ABI/testing/configfs-tsm): make
// an entry under the report directory, write the 64 bytes of report data to `inblob`, read
// `outblob` (the quote), `provider` and `generation`, remove the entry.
//
// Invariants:
// - Never throws: a missing or unreadable interface gives provider 'none' with the reason, so
//   the caller (the service) keeps running and says plainly that there is no quote.
// - Each request uses an entry of its own (a random name), removed afterwards whatever
//   happened; `generation` must be 1 (our single write), otherwise someone else wrote to the
//   entry and the quote is not trusted to match our report data.
// - The file operations are injectable (TsmFs) so that tests run against a fake tree.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';

export const defaultTsmPath = '/sys/kernel/config/tsm/report';

export interface Evidence {
  /** tdx_guest, sev_guest, ... as the kernel names it; 'none' without a quote. */
  provider: string;
  generation: number | null;
  /** base64 of the quote (outblob), or null. */
  quote: string | null;
  /** Why there is no quote (provider 'none'). */
  reason?: string;
  /** DCAP collateral for a TDX quote, when the operator configured a file of it (document.ts). */
  collateral?: Record<string, unknown>;
  /** Why the configured collateral is not in the document. */
  collateralError?: string;
}

/** The file operations configfs-tsm needs; node:fs by default. */
export interface TsmFs {
  stat(target: string): Promise<{ isDirectory(): boolean }>;
  mkdir(target: string): Promise<unknown>;
  writeFile(target: string, data: Uint8Array): Promise<void>;
  readFile(target: string): Promise<Buffer>;
  rmdir(target: string): Promise<void>;
}

const nodeFs: TsmFs = {
  stat: (target) => fs.stat(target),
  mkdir: (target) => fs.mkdir(target),
  writeFile: (target, data) => fs.writeFile(target, data),
  readFile: (target) => fs.readFile(target),
  rmdir: (target) => fs.rmdir(target),
};

export function noEvidence(reason: string): Evidence {
  return { provider: 'none', generation: null, quote: null, reason };
}

export async function readTsmEvidence(reportData: Uint8Array, options: { path?: string; fs?: TsmFs } = {}): Promise<Evidence> {
  const root = options.path ?? defaultTsmPath;
  const files = options.fs ?? nodeFs;
  if (reportData.length !== 64) return noEvidence(`report data must be 64 bytes, got ${reportData.length}`);
  try {
    if (!(await files.stat(root)).isDirectory()) return noEvidence(`${root} is not a directory: no configfs-tsm report interface`);
  } catch (error) {
    return noEvidence(`no configfs-tsm report interface at ${root} (${errorText(error)}): not a confidential VM, or configfs is not mounted`);
  }
  const entry = path.join(root, `teejs-${randomBytes(8).toString('hex')}`);
  try {
    await files.mkdir(entry);
  } catch (error) {
    return noEvidence(`cannot create a configfs-tsm entry under ${root}: ${errorText(error)}`);
  }
  try {
    await files.writeFile(path.join(entry, 'inblob'), reportData);
    const quote = await files.readFile(path.join(entry, 'outblob'));
    const provider = (await files.readFile(path.join(entry, 'provider'))).toString('utf8').trim();
    const generationText = (await files.readFile(path.join(entry, 'generation'))).toString('utf8').trim();
    const generation = /^\d+$/.test(generationText) ? Number(generationText) : NaN;
    if (generation !== 1) return noEvidence(`the configfs-tsm entry was written by someone else meanwhile (generation ${generationText}, expected 1)`);
    if (!/^[\w-]{1,64}$/.test(provider) || provider === 'none') return noEvidence(`configfs-tsm names an unexpected provider '${provider.slice(0, 64)}'`);
    if (quote.length === 0) return noEvidence('configfs-tsm answered an empty quote');
    return { provider, generation, quote: quote.toString('base64') };
  } catch (error) {
    return noEvidence(`configfs-tsm at ${root} could not produce a quote: ${errorText(error)}`);
  } finally {
    await files.rmdir(entry).catch(() => {});
  }
}

function errorText(error: unknown): string {
  return (error as NodeJS.ErrnoException)?.code ?? (error as Error)?.message ?? String(error);
}
