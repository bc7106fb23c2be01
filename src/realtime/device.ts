import Bowser from 'bowser';

/** Longest summary kept; user agents are the client's to write. */
const MAX_AGENT_LENGTH = 80;

/**
 * What the sessions list says a device is (issue 21): "Firefox 128 on Linux", "Safari 17 on iOS", from the
 * connection's User-Agent header (bowser); the first words of the header for what bowser does not know (a
 * native app, a script); '' without one. Only the summary is stored, not the header.
 */
export function agentSummary(userAgent: string | undefined): string {
  const ua = userAgent?.trim();
  if (!ua) return '';
  const parser = Bowser.getParser(ua);
  const browser = parser.getBrowserName();
  const major = parser.getBrowserVersion()?.split('.')[0];
  const os = parser.getOSName();
  const summary = browser ? `${browser}${major ? ` ${major}` : ''}${os ? ` on ${os}` : ''}` : ua.split(/[\s(]/)[0];
  return summary.replace(/[\p{Cc}\p{Cf}]/gu, '').slice(0, MAX_AGENT_LENGTH);
}

/** An address as people read it: an IPv4-mapped IPv6 address (`::ffff:192.0.2.1`) as the IPv4 one. */
export function displayAddress(address: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  return mapped ? mapped[1] : address;
}
