// Allocates about 50 MB on the JS heap (100 arrays of 65,536 doubles, 512 KB each) and keeps it
// all alive until it returns: the cost of a function that really uses memory.
export default async function main(params) {
  const blocks = [];
  for (let i = 0; i < params.blocks; i++) blocks.push(new Array(params.blockLength).fill(i + 0.5));
  let sum = 0;
  for (const block of blocks) sum += block[block.length - 1];
  return { blocks: blocks.length, sum };
}
