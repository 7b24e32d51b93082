// A wallet from a fixed private key signs a message (RFC 6979: deterministic) and the signature
// is checked; ABI encoding, hashing and units as a contract client would use them.
import { AbiCoder, Interface, Wallet, formatEther, id, keccak256, parseEther, toUtf8Bytes, verifyMessage, verifyTypedData } from 'ethers';

export default async () => {
  const wallet = new Wallet('0x0123456789012345678901234567890123456789012345678901234567890123');
  const message = 'teejs signs this';
  const signature = await wallet.signMessage(message);
  const domain = { name: 'teejs', version: '1', chainId: 1, verifyingContract: '0xCcCCccccCCCCcCCCCCCcCcCccCcCCCcCcccccccC' };
  const types = { Mail: [{ name: 'to', type: 'address' }, { name: 'contents', type: 'string' }] };
  const mail = { to: '0xbBbBBBBbbBBBbbbBbbBbbbbBBbBbbbbBbBbbBBbB', contents: 'hello' };
  const typed = await wallet.signTypedData(domain, types, mail);
  const erc20 = new Interface(['function transfer(address to, uint256 amount) returns (bool)']);
  return {
    address: wallet.address,
    signature,
    recovered: verifyMessage(message, signature) === wallet.address,
    typed,
    typedRecovered: verifyTypedData(domain, types, mail, typed) === wallet.address,
    calldata: erc20.encodeFunctionData('transfer', [mail.to, parseEther('1.5')]),
    encoded: AbiCoder.defaultAbiCoder().encode(['uint256', 'string'], [42n, 'x']),
    keccak: keccak256(toUtf8Bytes(message)),
    selector: id('transfer(address,uint256)').slice(0, 10),
    ether: formatEther(123456789012345678901n),
  };
};
