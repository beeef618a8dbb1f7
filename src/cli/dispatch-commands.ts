// `herald dispatch …`: steer a dispatch from the terminal through the same API the dashboard uses.
import type { Command } from 'commander';
import type { ApiClient } from './api-client.js';
import { watchDispatch } from './commands.js';

interface DispatchAnswer {
  id: number;
  status: string;
  scheduledAt: string | null;
  sent?: number;
  unsent?: number;
}

type Api = (options: { url?: string; token?: string }) => ApiClient;

const describe = (d: DispatchAnswer) =>
  `Dispatch ${d.id} is ${d.status}${d.status === 'scheduled' && d.scheduledAt ? ` for ${d.scheduledAt}` : ''}.`;

/** Adds the `dispatch` command group; `withApi` adds --url and --token to each. */
export function addDispatchCommands(program: Command, withApi: (command: Command) => Command, api: Api): void {
  const dispatch = program.command('dispatch').description('watch, pause, resume, reschedule, release or cancel a dispatch');
  const out = process.stdout;

  withApi(dispatch.command('watch <id>').description('follow a dispatch until it finishes')).action(
    async (id: string, options) => watchDispatch(api(options), Number(id), out),
  );
  for (const [action, description] of [
    ['pause', 'stop a running dispatch within seconds (resume continues where it stopped)'],
    ['resume', 'continue a paused dispatch'],
    ['release', 'send a dispatch that was held for being too late'],
  ] as const) {
    withApi(dispatch.command(`${action} <id>`).description(description)).action(async (id: string, options) => {
      out.write(`${describe(await api(options).request<DispatchAnswer>('POST', `/api/dispatches/${id}/${action}`))}\n`);
    });
  }
  withApi(dispatch.command('cancel <id>').description('cancel a dispatch; whatever has not gone out stays unsent')).action(
    async (id: string, options) => {
      const answer = await api(options).request<DispatchAnswer>('POST', `/api/dispatches/${id}/cancel`);
      out.write(`${describe(answer)} ${answer.sent ?? 0} went out before the cancel; ${answer.unsent ?? 0} will not be sent.\n`);
    },
  );
  withApi(
    dispatch
      .command('reschedule <id> [at]')
      .description('move a dispatch that has not started, e.g. 2026-12-01T09:00; or, with --local-time, the waves not yet sent')
      .option('--timezone <zone>', 'IANA time zone for a time without offset (default UTC)')
      .option('--local-time <HH:MM>', "email at that time in each reader's zone (moves a running dispatch's unsent waves)"),
  ).action(async (id: string, at: string | undefined, options: { timezone?: string; localTime?: string; url?: string; token?: string }) => {
    const body = { ...(at ? { at } : {}), ...(options.timezone ? { timezone: options.timezone } : {}), ...(options.localTime ? { localTime: options.localTime } : {}) };
    out.write(`${describe(await api(options).request<DispatchAnswer>('POST', `/api/dispatches/${id}/reschedule`, body))}\n`);
  });
  withApi(dispatch.command('test-send <id> <email>').description('send the edition to one address (not recorded)')).action(
    async (id: string, email: string, options) => {
      const answer = await api(options).request<{ sent: boolean; to: string }>('POST', `/api/dispatches/${id}/test-send`, { email });
      out.write(answer.sent ? `Test edition sent to ${answer.to}.\n` : `Test edition queued for ${answer.to}; no worker took it yet.\n`);
    },
  );
}
