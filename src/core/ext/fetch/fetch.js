// Guest side of fetch, last file: fetch() itself. The request leaves the isolate as plain data
// (URL, method, header pairs, body bytes as a latin1 string) and the host answers with plain
// data; no host object ever arrives here. An abort reaches the host as a notice.
(function installFetch(global, runtime, expose, limits, shared) {
  'use strict';

  const {
    ObjectGetOwnPropertyDescriptor, Promise, PromisePrototypeThen, PromiseReject, ReflectApply,
  } = runtime.primordials;
  const { Request, requestParts, makeResponse, bodyState, signalAborted } = shared;
  const signalReason = ObjectGetOwnPropertyDescriptor(global.AbortSignal.prototype, 'reason').get;
  const addEventListener = global.EventTarget.prototype.addEventListener;
  const removeEventListener = global.EventTarget.prototype.removeEventListener;

  let nextFetchId = 1;

  function fetch(input, init = undefined) {
    let request;
    try {
      request = new Request(input, init);
    } catch (error) {
      return PromiseReject(error);
    }
    const parts = requestParts(request);
    const body = bodyState(request);
    const signal = parts.signal;
    if (signal !== null && ReflectApply(signalAborted, signal, [])) return PromiseReject(ReflectApply(signalReason, signal, []));
    const id = nextFetchId++;
    const wire = {
      id,
      url: parts.url,
      method: parts.method,
      headers: parts.headers,
      body: body.bytes,
      redirect: parts.redirect,
    };
    if (body.bytes !== null) body.used = true;

    return new Promise((resolve, reject) => {
      let settled = false;
      const onAbort = () => {
        if (settled) return;
        settled = true;
        runtime.notify('fetch.abort', id);
        reject(ReflectApply(signalReason, signal, []));
      };
      if (signal !== null) ReflectApply(addEventListener, signal, ['abort', onAbort, { once: true }]);
      const done = () => {
        settled = true;
        if (signal !== null) ReflectApply(removeEventListener, signal, ['abort', onAbort, { once: true }]);
      };
      PromisePrototypeThen(runtime.request('fetch.send', wire), (answer) => {
          if (settled) return;
          done();
          resolve(makeResponse(answer));
        }, (error) => {
          if (settled) return;
          done();
          reject(error);
        });
    });
  }

  expose('fetch', fetch);
});
