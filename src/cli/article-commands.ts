// `herald articles …`: act on a published article from the terminal through the API (retract it, correct it).
import type { Command } from 'commander';
import { channelLabel } from '../social/networks.js';
import type { ApiClient } from './api-client.js';

interface RetractionAnswer {
  articleId: number;
  reason: string;
  alreadyRetracted: boolean;
  cancelledDispatches: number[];
  posts: { channel: string; account: string; retraction: string | null; retractionNote: string | null }[];
}

interface CorrectionAnswer {
  id: number;
  articleId: number;
  note: string;
  repeated: boolean;
  emails: Record<string, number>;
  posts: { channel: string; recipient: string; status: string; outcome: string | null; note: string | null }[];
}

type Api = (options: { url?: string; token?: string }) => ApiClient;

/** How long `retract` waits for the networks before it prints what it knows. */
const WAIT_MS = 60_000;

const OUTCOME: Record<string, string> = {
  retracted: 'deleted',
  not_posted: 'not posted, nothing to delete',
  live: 'STILL LIVE',
  pending: 'still live, being deleted',
};

/** Adds the `articles` command group; `withApi` adds --url and --token to each. */
export function addArticleCommands(program: Command, withApi: (command: Command) => Command, api: Api): void {
  const articles = program.command('articles').description('act on a published article');
  const out = process.stdout;

  withApi(
    articles
      .command('retract <id>')
      .description('retract an article: unsent email cancelled, its posts deleted, the web copy shows the reason')
      .requiredOption('--reason <text>', 'why, as readers of the web copy will read it')
      .option('--no-wait', 'return once the retraction is recorded, without waiting for the networks'),
  ).action(async (id: string, options: { reason: string; wait: boolean; url?: string; token?: string }) => {
    const client = api(options);
    let answer = await client.request<RetractionAnswer>('POST', `/api/articles/${id}/retract`, { reason: options.reason });
    out.write(
      answer.alreadyRetracted
        ? `Article ${answer.articleId} was already retracted ("${answer.reason}"); nothing new was done.\n`
        : `Article ${answer.articleId} retracted: ${answer.reason}\n`,
    );
    if (answer.cancelledDispatches.length) out.write(`Cancelled dispatch ${answer.cancelledDispatches.join(', ')}: unsent email will not go out.\n`);
    const deadline = Date.now() + WAIT_MS;
    while (options.wait && answer.posts.some((p) => p.retraction === 'pending') && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 500));
      answer = await client.request<RetractionAnswer>('GET', `/api/articles/${id}/retraction`);
    }
    for (const post of answer.posts) {
      const note = post.retractionNote ? ` (${post.retractionNote})` : '';
      out.write(`  ${channelLabel(post.channel)} ${post.account}: ${OUTCOME[post.retraction ?? ''] ?? post.retraction}${note}\n`);
    }
  });

  withApi(
    articles
      .command('correct <id>')
      .description('correct an article that went out: a short email to its readers and/or a reply under each post')
      .requiredOption('--note <text>', 'the correction, as readers will read it after "Correction: "')
      .option('--email', 'email the correction to every reader whose edition was delivered', false)
      .option('--social <how>', 'reply under each post, or edit it where the network can (Mastodon; a reply elsewhere)')
      .option('--no-wait', 'return once the correction is recorded, without waiting for the emails and networks'),
  ).action(async (id: string, options: { note: string; email: boolean; social?: string; wait: boolean; url?: string; token?: string }) => {
    if (options.social !== undefined && options.social !== 'reply' && options.social !== 'edit') {
      throw new Error(`--social must be reply or edit, not ${JSON.stringify(options.social)}`);
    }
    const client = api(options);
    let answer = await client.request<CorrectionAnswer>('POST', `/api/articles/${id}/correct`, {
      note: options.note,
      email: options.email,
      social: options.social ?? 'none',
    });
    out.write(
      answer.repeated
        ? `Article ${answer.articleId} was already corrected with this note (correction ${answer.id}); nobody is sent it twice.\n`
        : `Article ${answer.articleId} corrected (correction ${answer.id}): ${answer.note}\n`,
    );
    const open = (a: CorrectionAnswer) => (a.emails.pending ?? 0) + (a.emails.sending ?? 0) > 0 || a.posts.some((p) => p.status === 'pending' || p.status === 'sending');
    const deadline = Date.now() + WAIT_MS;
    while (options.wait && open(answer) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 500));
      const all = await client.request<CorrectionAnswer[]>('GET', `/api/articles/${id}/corrections`);
      answer = all.find((c) => c.id === answer.id) ?? answer;
    }
    const counts = Object.entries(answer.emails).map(([status, n]) => `${n} ${status}`).join(', ');
    if (counts) out.write(`  Email: ${counts}\n`);
    for (const post of answer.posts) {
      const note = post.note ? ` (${post.note})` : '';
      out.write(`  ${channelLabel(post.channel)} ${post.recipient}: ${post.outcome ?? post.status}${note}\n`);
    }
  });
}
