// Evaluates to `byteHelpers(primordials) => bytes`: the helpers of the capabilities that move
// bytes (encoding, fetch, subtle, crypto), handed to them as runtime.bytes. BufferSource views
// are read through the intrinsic getters, so own properties and prototypes a guest set cannot
// lie about a buffer's size; bytes cross to the host as latin1 strings, one character per byte.
(function byteHelpers(primordials) {
  'use strict';

  const {
    ArrayBuffer, ArrayPrototypeJoin, ArrayPrototypePush, DataView, ObjectFreeze,
    ObjectGetOwnPropertyDescriptor, ObjectGetPrototypeOf, ReflectApply, StringFromCharCode,
    StringPrototypeCharCodeAt, SymbolToStringTag, Uint8Array, Uint8ArrayPrototypeSubarray,
  } = primordials;

  const typedArrayPrototype = ObjectGetPrototypeOf(Uint8Array.prototype);
  const intrinsicGetter = (object, key) => ObjectGetOwnPropertyDescriptor(object, key).get;
  const arrayBufferLength = intrinsicGetter(ArrayBuffer.prototype, 'byteLength');
  const typedArrayTag = intrinsicGetter(typedArrayPrototype, SymbolToStringTag);
  const typedArrayBuffer = intrinsicGetter(typedArrayPrototype, 'buffer');
  const typedArrayOffset = intrinsicGetter(typedArrayPrototype, 'byteOffset');
  const typedArrayByteLength = intrinsicGetter(typedArrayPrototype, 'byteLength');
  const dataViewBuffer = intrinsicGetter(DataView.prototype, 'buffer');
  const dataViewOffset = intrinsicGetter(DataView.prototype, 'byteOffset');
  const dataViewLength = intrinsicGetter(DataView.prototype, 'byteLength');

  return ObjectFreeze({
    /** A Uint8Array over the same memory as an ArrayBuffer or view, or null for anything else. */
    of(value) {
      if (value === null || typeof value !== 'object') return null;
      try {
        return new Uint8Array(value, 0, ReflectApply(arrayBufferLength, value, []));
      } catch {
        // not an ArrayBuffer
      }
      if (ReflectApply(typedArrayTag, value, []) !== undefined) {
        return new Uint8Array(ReflectApply(typedArrayBuffer, value, []), ReflectApply(typedArrayOffset, value, []), ReflectApply(typedArrayByteLength, value, []));
      }
      try {
        return new Uint8Array(ReflectApply(dataViewBuffer, value, []), ReflectApply(dataViewOffset, value, []), ReflectApply(dataViewLength, value, []));
      } catch {
        return null;
      }
    },
    /** The typed array's tag (e.g. 'Uint8Array'), or undefined for anything that is not one. */
    typedArrayTag(value) {
      return ReflectApply(typedArrayTag, value, []);
    },
    toLatin1(view) {
      const parts = [];
      for (let i = 0; i < view.length; i += 8192) {
        ArrayPrototypePush(parts, ReflectApply(StringFromCharCode, undefined, Uint8ArrayPrototypeSubarray(view, i, i + 8192)));
      }
      return ArrayPrototypeJoin(parts, '');
    },
    fromLatin1(text) {
      const view = new Uint8Array(text.length);
      for (let i = 0; i < text.length; i++) view[i] = StringPrototypeCharCodeAt(text, i);
      return view;
    },
  });
});
