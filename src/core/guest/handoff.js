// Takes the delivery function that the runtime left on the global object for the entry module,
// and removes it before the function's own module is evaluated.
const deliver = globalThis.__teejsHandoff;
delete globalThis.__teejsHandoff;

export { deliver };
