// Which addresses a content URL may reach: every private, loopback, link-local, CGNAT, multicast and unspecified
// form, also wrapped in IPv6 (mapped, NAT64, 6to4), is refused; the operator's exceptions are exact.
import { describe, expect, it } from 'vitest';
import { isSnsCertificateSubject, SNS_REGIONAL_HOST } from '../../../src/feedback/sns-hosts.js';
import { AllowList, allowEntryProblem, forbiddenReason } from '../../../src/net/address-policy.js';

describe('forbiddenReason', () => {
  it.each([
    ['127.0.0.1', 'loopback'], ['127.255.0.9', 'loopback'], ['10.1.2.3', 'private'], ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'], ['192.168.1.1', 'private'], ['169.254.169.254', 'link-local'],
    ['100.64.0.1', 'carrier-grade NAT'], ['0.0.0.0', 'unspecified'], ['224.0.0.1', 'multicast'], ['255.255.255.255', 'reserved'],
    ['::1', 'loopback'], ['::', 'unspecified'], ['fe80::1', 'link-local'], ['fd12:3456::1', 'unique local (private)'],
    ['ff02::1', 'multicast'],
  ])('refuses %s (%s)', (address, why) => {
    expect(forbiddenReason(address)).toBe(why);
  });

  it.each(['::ffff:127.0.0.1', '::ffff:7f00:1', '::ffff:10.0.0.1', '64:ff9b::7f00:1', '64:ff9b::169.254.169.254', '2002:7f00:1::1', '::127.0.0.1'])(
    'refuses %s, a private IPv4 address inside IPv6',
    (address) => {
      expect(forbiddenReason(address)).toMatch(/inside an IPv6 address/);
    },
  );

  it.each(['93.184.216.34', '8.8.8.8', '172.32.0.1', '100.128.0.1', '2606:4700::1111', '::ffff:8.8.8.8', '64:ff9b::808:808'])(
    'lets %s through',
    (address) => {
      expect(forbiddenReason(address)).toBeUndefined();
    },
  );
});

describe('AllowList', () => {
  const allow = new AllowList(['Images.Internal.example', '10.0.0.0/8', '127.0.0.2', '[fd00::1]']);
  it('allows exactly what the operator listed', () => {
    expect(allow.allowsHost('images.internal.example')).toBe(true);
    expect(allow.allowsHost('evil.images.internal.example')).toBe(false);
    expect(allow.allowsAddress('10.9.8.7')).toBe(true);
    expect(allow.allowsAddress('11.0.0.1')).toBe(false);
    expect(allow.allowsAddress('127.0.0.2')).toBe(true);
    expect(allow.allowsAddress('127.0.0.1')).toBe(false);
    expect(allow.allowsAddress('fd00::1')).toBe(true);
  });
  it('names a bad entry', () => {
    expect(allowEntryProblem('10.0.0.0/33')).toMatch(/prefix/);
    expect(allowEntryProblem('http://x/')).toMatch(/not a host name/);
    expect(allowEntryProblem('192.168.0.0/16')).toBeUndefined();
  });
});

describe('SNS certificate hosts and subjects', () => {
  it('accepts only SNS regional hosts, not an S3 bucket named "sns"', () => {
    for (const host of ['sns.eu-west-1.amazonaws.com', 'sns.us-gov-west-1.amazonaws.com', 'sns.cn-north-1.amazonaws.com.cn']) {
      expect(SNS_REGIONAL_HOST.test(host), host).toBe(true);
    }
    for (const host of ['sns.s3.amazonaws.com', 'sns.evil.amazonaws.com', 'sns.eu-west-1.amazonaws.com.evil.example', 'xsns.eu-west-1.amazonaws.com']) {
      expect(SNS_REGIONAL_HOST.test(host), host).toBe(false);
    }
  });
  it('accepts only certificates issued to SNS', () => {
    expect(isSnsCertificateSubject('sns.amazonaws.com')).toBe(true);
    expect(isSnsCertificateSubject('evil.example')).toBe(false);
    expect(isSnsCertificateSubject(undefined)).toBe(false);
  });
});
