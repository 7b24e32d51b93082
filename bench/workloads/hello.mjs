// Hello world: the smallest useful function, so the cost measured is the runtime's own.
export default async function main(params) {
  return { message: `hello, ${params.name}` };
}
