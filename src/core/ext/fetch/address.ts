// Which IP addresses a guest's request may connect to. The check runs on the address actually
// connected to (after DNS resolution), so names that resolve to private addresses, DNS
// rebinding and odd spellings of IP literals all end up here as plain addresses.
import { BlockList, isIP } from 'node:net';

export type AddressCategory =
  | 'public'
  | 'loopback'
  | 'private'
  | 'shared'
  | 'unique-local'
  | 'ipv4-mapped'
  | 'link-local'
  | 'metadata'
  | 'unspecified'
  | 'multicast'
  | 'documentation'
  | 'reserved';

type Rule = readonly [network: string, prefix: number, category: AddressCategory];

// Cloud metadata services: never reachable, whatever the operator allows.
const metadataRules: readonly Rule[] = [
  ['169.254.169.254', 32, 'metadata'], // AWS, GCP, Azure, OpenStack, DigitalOcean...
  ['169.254.170.2', 32, 'metadata'], // AWS ECS task metadata
  ['100.100.100.200', 32, 'metadata'], // Alibaba Cloud
  ['192.0.0.192', 32, 'metadata'], // Oracle Cloud
  ['fd00:ec2::254', 128, 'metadata'], // AWS over IPv6
];

// RFC 6890 special-purpose ranges (and their IPv6 counterparts). The first match wins.
const ipv4Rules: readonly Rule[] = [
  ['0.0.0.0', 8, 'unspecified'],
  ['10.0.0.0', 8, 'private'],
  ['100.64.0.0', 10, 'shared'], // carrier-grade NAT
  ['127.0.0.0', 8, 'loopback'],
  ['169.254.0.0', 16, 'link-local'],
  ['172.16.0.0', 12, 'private'],
  ['192.0.0.0', 24, 'reserved'],
  ['192.0.2.0', 24, 'documentation'],
  ['192.88.99.0', 24, 'reserved'],
  ['192.168.0.0', 16, 'private'],
  ['198.18.0.0', 15, 'reserved'],
  ['198.51.100.0', 24, 'documentation'],
  ['203.0.113.0', 24, 'documentation'],
  ['224.0.0.0', 4, 'multicast'],
  ['240.0.0.0', 4, 'reserved'],
];

const ipv6Rules: readonly Rule[] = [
  ['::', 128, 'unspecified'],
  ['::1', 128, 'loopback'],
  ['::ffff:0:0', 96, 'ipv4-mapped'],
  ['64:ff9b:1::', 48, 'reserved'], // local-use NAT64
  ['100::', 64, 'reserved'], // discard-only
  ['2001::', 32, 'reserved'], // Teredo: carries an obfuscated IPv4 address
  ['2001:db8::', 32, 'documentation'],
  ['2002::', 16, 'reserved'], // 6to4: carries an IPv4 address
  ['fc00::', 7, 'unique-local'],
  ['fe80::', 10, 'link-local'],
  ['fec0::', 10, 'reserved'],
  ['ff00::', 8, 'multicast'],
];

function compile(rules: readonly Rule[]): Array<[BlockList, AddressCategory]> {
  return rules.map(([network, prefix, category]) => {
    const list = new BlockList();
    list.addSubnet(network, prefix, isIP(network) === 6 ? 'ipv6' : 'ipv4');
    return [list, category];
  });
}

const metadata = compile(metadataRules);
const ipv4 = compile(ipv4Rules);
const ipv6 = compile(ipv6Rules);
const nat64 = new BlockList();
nat64.addSubnet('64:ff9b::', 96, 'ipv6');
const globalUnicast = new BlockList();
globalUnicast.addSubnet('2000::', 3, 'ipv6');

/** The 16 bytes of an IPv6 address (a zone id such as `%eth0` is ignored). */
function ipv6Bytes(address: string): Uint8Array {
  const text = address.replace(/%.*$/, '');
  const bytes = new Uint8Array(16);
  const [head = '', tail] = text.split('::') as [string, string | undefined];
  const groups = (part: string): number[] => {
    if (part === '') return [];
    const out: number[] = [];
    for (const piece of part.split(':')) {
      if (piece.includes('.')) {
        const [a = 0, b = 0, c = 0, d = 0] = piece.split('.').map(Number);
        out.push((a << 8) | b, (c << 8) | d);
      } else out.push(parseInt(piece, 16));
    }
    return out;
  };
  const front = groups(head);
  const back = tail === undefined ? [] : groups(tail);
  const all = [...front, ...new Array<number>(8 - front.length - back.length).fill(0), ...back];
  all.forEach((group, i) => {
    bytes[i * 2] = group >> 8;
    bytes[i * 2 + 1] = group & 0xff;
  });
  return bytes;
}

function embeddedIpv4(address: string): string {
  const b = ipv6Bytes(address);
  return `${b[12]}.${b[13]}.${b[14]}.${b[15]}`;
}

function firstMatch(rules: Array<[BlockList, AddressCategory]>, address: string, family: 'ipv4' | 'ipv6'): AddressCategory | null {
  for (const [list, category] of rules) if (list.check(address, family)) return category;
  return null;
}

/** What kind of address `address` (an IP literal) is; 'public' for ordinary internet hosts. */
export function classifyAddress(address: string): AddressCategory {
  const version = isIP(address);
  if (version === 4) return firstMatch(metadata, address, 'ipv4') ?? firstMatch(ipv4, address, 'ipv4') ?? 'public';
  if (version !== 6) return 'reserved';
  const plain = address.replace(/%.*$/, '');
  // NAT64 reaches the IPv4 address it carries: judge that one.
  if (nat64.check(plain, 'ipv6')) return classifyAddress(embeddedIpv4(plain));
  const category = firstMatch(metadata, plain, 'ipv6') ?? firstMatch(ipv6, plain, 'ipv6');
  if (category !== null) return category;
  return globalUnicast.check(plain, 'ipv6') ? 'public' : 'reserved';
}

/** Categories an operator may open with allowPrivateNetwork; the rest stay closed. */
const privateCategories: ReadonlySet<AddressCategory> = new Set(['loopback', 'private', 'shared', 'unique-local']);

/**
 * Why a connection to `address` is refused, or null when it may go ahead. An IPv4-mapped
 * IPv6 address is refused unless private networks are allowed, and then judged by the IPv4
 * address it carries.
 */
export function addressRefusal(address: string, allowPrivateNetwork: boolean): string | null {
  let category = classifyAddress(address);
  if (category === 'ipv4-mapped' && allowPrivateNetwork) category = classifyAddress(embeddedIpv4(address));
  if (category === 'public') return null;
  if (allowPrivateNetwork && privateCategories.has(category)) return null;
  return category;
}
