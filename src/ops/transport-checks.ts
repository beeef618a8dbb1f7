// `herald doctor`'s look at each configured email transport beyond SMTP: the read-only call its definition names
// (SES GetAccount, Mailgun's domain), never a message. Each call is bounded by the transport's own timeout.
import type { Config } from '../config/config.js';
import { transportDefinition } from '../email/transports/registry.js';
import type { Finding } from './doctor.js';

export async function checkEmailTransports(config: Config): Promise<Finding[]> {
  const checks = config.EMAIL_TRANSPORTS.map(async (name, index): Promise<Finding | undefined> => {
    const definition = transportDefinition(name);
    if (!definition.probe) return undefined;
    const share = config.EMAIL_TRANSPORT_SHARES?.[name];
    const role = share !== undefined ? `share ${share}` : index === 0 ? 'sends' : 'listed for failover';
    try {
      const answer = await definition.probe(config);
      return { check: name, level: 'ok', message: `${definition.label} (${role}): ${answer}; no mail sent` };
    } catch (e) {
      const settings = Object.keys(definition.settings.shape).filter((variable) => !variable.startsWith('EMAIL_API_'));
      return {
        check: name,
        level: 'error',
        message: `${definition.label} (${role}) did not answer as expected: ${e instanceof Error ? e.message : String(e)}`,
        fix: `check ${settings.join(', ')} and the credentials`,
      };
    }
  });
  return (await Promise.all(checks)).filter((finding): finding is Finding => finding !== undefined);
}
