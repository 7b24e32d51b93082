// Guest side of ext/web, first file: DOMException, with its legacy codes. Private fields give it
// a brand check that guest code cannot forge. The files after it find it in `shared`.
(function installDOMException(global, runtime, expose, limits, shared) {
  'use strict';

  const {
    Error, ObjectDefineProperty, ObjectFreeze, String, SymbolToStringTag,
  } = runtime.primordials;

  const legacyCodes = {
    IndexSizeError: 1, HierarchyRequestError: 3, WrongDocumentError: 4, InvalidCharacterError: 5,
    NoModificationAllowedError: 7, NotFoundError: 8, NotSupportedError: 9, InvalidStateError: 11,
    SyntaxError: 12, InvalidModificationError: 13, NamespaceError: 14, InvalidAccessError: 15,
    TypeMismatchError: 17, SecurityError: 18, NetworkError: 19, AbortError: 20, URLMismatchError: 21,
    QuotaExceededError: 22, TimeoutError: 23, InvalidNodeTypeError: 24, DataCloneError: 25,
  };

  class DOMException extends Error {
    #name;
    #message;
    constructor(message = '', options = 'Error') {
      const text = String(message);
      const hasCause = options !== null && typeof options === 'object' && 'cause' in options;
      super(text, hasCause ? { cause: options.cause } : undefined);
      this.#message = text;
      this.#name = options !== null && typeof options === 'object' ? String(options.name ?? 'Error') : String(options);
    }
    get name() {
      return this.#name;
    }
    get message() {
      return this.#message;
    }
    get code() {
      return legacyCodes[this.#name] ?? 0;
    }
  }
  ObjectDefineProperty(DOMException.prototype, SymbolToStringTag, { value: 'DOMException', configurable: true });
  for (const [name, code] of [
    ['INDEX_SIZE_ERR', 1], ['NOT_FOUND_ERR', 8], ['NOT_SUPPORTED_ERR', 9], ['INVALID_STATE_ERR', 11],
    ['SYNTAX_ERR', 12], ['INVALID_ACCESS_ERR', 15], ['SECURITY_ERR', 18], ['NETWORK_ERR', 19],
    ['ABORT_ERR', 20], ['QUOTA_EXCEEDED_ERR', 22], ['TIMEOUT_ERR', 23], ['DATA_CLONE_ERR', 25],
  ]) {
    ObjectDefineProperty(DOMException, name, { value: code, enumerable: true });
    ObjectDefineProperty(DOMException.prototype, name, { value: code, enumerable: true });
  }

  ObjectFreeze(legacyCodes);
  runtime.platform.register(DOMException.prototype);
  shared.DOMException = DOMException;
  expose('DOMException', DOMException);
});
