// Where Amazon SNS signing certificates may come from, and whose name they must carry. A looser pattern such as
// `sns.<anything>.amazonaws.com` also matches an S3 bucket named "sns" (sns.s3.amazonaws.com), which anyone can fill.

/** sns.<region>.amazonaws.com, and the China partition's .com.cn: a region is like eu-west-1 or us-gov-east-1. */
export const SNS_REGIONAL_HOST = /^sns\.[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d{1,2}\.amazonaws\.com(\.cn)?$/;

/** SNS signs with a certificate issued to sns.amazonaws.com (or a regional SNS name); anything else is not SNS's. */
export function isSnsCertificateSubject(commonName: string | undefined): boolean {
  if (!commonName) return false;
  const name = commonName.toLowerCase();
  return name === 'sns.amazonaws.com' || name === 'sns.amazonaws.com.cn' || SNS_REGIONAL_HOST.test(name);
}

/** The CN of an X509Certificate's `subject` ("C=US\nO=...\nCN=sns.amazonaws.com"). */
export function commonNameOf(subject: string): string | undefined {
  return subject.split('\n').find((line) => line.startsWith('CN='))?.slice(3);
}
