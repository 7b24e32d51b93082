// What the console keeps in the browser, all in sessionStorage (gone when the tab closes):
// the API key, and drafts of editor text not yet saved. Nothing goes to localStorage or cookies.
//
// Invariants: the key is only ever read from here and sent in the Authorization header of
// requests to this origin; signing out removes the key and every draft; a key refused mid-session
// (revoked, expired) removes the key only, so the drafts survive until the next sign-in. Drafts
// are filed under the user they belong to, so another user signing in on the same tab never
// sees them.
const keyName = 'teejs.console.key';
const draftPrefix = 'teejs.console.draft.';

export function storedKey(): string | null {
  return sessionStorage.getItem(keyName);
}

export function storeKey(key: string): void {
  sessionStorage.setItem(keyName, key);
}

/** The key was refused mid-session: forget it, keep the drafts. */
export function forgetKey(): void {
  sessionStorage.removeItem(keyName);
}

/** Sign out: forget the key and every draft. */
export function signOut(): void {
  for (const name of Object.keys(sessionStorage)) {
    if (name === keyName || name.startsWith(draftPrefix)) sessionStorage.removeItem(name);
  }
}

export interface Draft {
  source: string;
  /** The function's ETag the draft was started from (null: a new function). */
  baseEtag: string | null;
  savedAt: number;
}

function draftName(owner: string, functionId: string): string {
  return `${draftPrefix}${owner}.${functionId}`;
}

export function loadDraft(owner: string, functionId: string): Draft | null {
  const text = sessionStorage.getItem(draftName(owner, functionId));
  if (text === null) return null;
  try {
    const draft = JSON.parse(text) as Draft;
    return typeof draft.source === 'string' ? draft : null;
  } catch {
    return null;
  }
}

export function saveDraft(owner: string, functionId: string, draft: Draft): void {
  try {
    sessionStorage.setItem(draftName(owner, functionId), JSON.stringify(draft));
  } catch {
    // Storage full: the text stays in the editor; nothing else to do.
  }
}

export function dropDraft(owner: string, functionId: string): void {
  sessionStorage.removeItem(draftName(owner, functionId));
}
