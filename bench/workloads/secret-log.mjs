// Reads a secret and logs: the two host capabilities nearly every real function uses.
export default async function main(params) {
  const key = await secrets.get('API_KEY');
  console.log('calling upstream for', params.user);
  return { user: params.user, keyLength: key.length };
}
