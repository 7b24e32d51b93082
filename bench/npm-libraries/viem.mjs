import { decodeAbiParameters, encodeAbiParameters, encodeFunctionData, formatEther, getAddress, keccak256, parseAbi, parseAbiParameters, parseEther, toHex, verifyMessage } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';

export default async () => {
  const account = privateKeyToAccount('0x0123456789012345678901234567890123456789012345678901234567890123');
  const signature = await account.signMessage({ message: 'teejs signs this' });
  const encoded = encodeAbiParameters(parseAbiParameters('uint256 amount, string memo, address to'), [42n, 'x', '0xbBbBBBBbbBBBbbbBbbBbbbbBBbBbbbbBbBbbBBbB']);
  return {
    address: account.address,
    signature,
    verified: await verifyMessage({ address: account.address, message: 'teejs signs this', signature }),
    encoded,
    decoded: decodeAbiParameters(parseAbiParameters('uint256, string, address'), encoded).map(String),
    calldata: encodeFunctionData({ abi: parseAbi(['function transfer(address to, uint256 amount) returns (bool)']), functionName: 'transfer', args: ['0xbBbBBBBbbBBBbbbBbbBbbbbBBbBbbbbBbBbbBBbB', parseEther('1.5')] }),
    hash: keccak256(toHex('teejs signs this')),
    checksum: getAddress('0xbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb'),
    ether: formatEther(123456789012345678901n),
  };
};
