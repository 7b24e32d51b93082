// A value the user must not type on the command line (a secret, an API key): read from stdin
// when it is a pipe or a file, or asked at a terminal with echo off.
import { CommandError } from '../usage.ts';

export async function readValue(prompt: string, stdin: NodeJS.ReadStream = process.stdin): Promise<string> {
  const value = stdin.isTTY ? await promptHidden(prompt, stdin) : stripNewline(await readAll(stdin));
  if (value === '') throw new CommandError('no value given (type it at the prompt, or pipe it on stdin)');
  return value;
}

async function readAll(stdin: NodeJS.ReadStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stdin) chunks.push(Buffer.from(chunk as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}

/** One final newline is what `echo` and editors add; it is not part of the value. */
function stripNewline(text: string): string {
  return text.replace(/\r?\n$/, '');
}

function promptHidden(prompt: string, stdin: NodeJS.ReadStream): Promise<string> {
  process.stderr.write(prompt);
  return new Promise((resolve, reject) => {
    let value = '';
    stdin.setRawMode(true);
    stdin.setEncoding('utf8');
    const done = (error?: Error) => {
      stdin.setRawMode(false);
      stdin.pause();
      stdin.off('data', onData);
      process.stderr.write('\n');
      if (error) reject(error);
      else resolve(value);
    };
    const onData = (chunk: string) => {
      for (const char of chunk) {
        if (char === '\r' || char === '\n') return done();
        if (char === '\u0003' || char === '\u0004') return done(new CommandError('cancelled'));
        if (char === '\u007f' || char === '\b') value = value.slice(0, -1);
        else value += char;
      }
    };
    stdin.on('data', onData);
    stdin.resume();
  });
}
