/**
 * The llama-server client's policy against small stand-in HTTP servers: which error a person
 * sees for a server that is not there, one that hangs, one that lacks a needed field, and how
 * requests are matched to slots.
 */
import * as assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { AbortError } from '../../src/decoding/language-model';
import { connectServer } from '../../src/model/server/connect';
import { missingScoresError } from '../../src/model/server/errors';
import { normaliseServerUrl, ServerClient } from '../../src/model/server/http';
import { RequestLimit } from '../../src/model/server/request-limit';
import { serverSampling } from '../../src/model/server/server-samplers';
import { freePort } from '../support/llama-server';

function serve(handler: (path: string, reply: (status: number, body: unknown) => void) => void): Promise<{ url: string; server: Server }> {
  const server = createServer((req, res) => handler(req.url ?? '', (status, body) => {
    res.writeHead(status, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify(body));
  }));
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ url: `http://127.0.0.1:${(server.address() as { port: number }).port}`, server })));
}

describe('llama-server client: errors a person can act on', () => {
  it('says no server answers at a URL where nothing listens', async () => {
    const url = `http://127.0.0.1:${await freePort()}`;
    await assert.rejects(connectServer({ url }), (e: Error) => e.name === 'ServerUnreachableError' && e.message.includes(url) && /ECONNREFUSED/.test(e.message));
  });

  it('gives up on a server that does not answer within the time limit, and says so', async () => {
    const { url, server } = await serve(() => undefined);
    try {
      await assert.rejects(new ServerClient(url, { timeoutMs: 200 }).get('/props'), (e: Error) => e.name === 'ServerTimeoutError' && /within 200 ms/.test(e.message));
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });

  it('reports a cancelled request as cancelled, not as a network failure', async () => {
    const { url, server } = await serve(() => undefined);
    try {
      const controller = new AbortController();
      setTimeout(() => controller.abort(), 50);
      await assert.rejects(new ServerClient(url).get('/props', controller.signal), AbortError);
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });

  it('names the field an older or different server lacks', async () => {
    const { url, server } = await serve((path, reply) => reply(200, path === '/props' ? { total_slots: 2 } : {}));
    try {
      await assert.rejects(connectServer({ url }), (e: Error) => e.name === 'ServerCapabilityError' && e.message.includes('n_ctx'));
    } finally {
      server.close();
    }
  });

  it('says which answer lacked the scores and what it had, and names the build only where an old build explains it', () => {
    const url = 'http://127.0.0.1:8080';
    const recent = missingScoresError(url, { content: '', stop: true }, 2, 4, 'b6123-abcdef0');
    assert.match(recent.message, /answer 3 of 4 to one \/completion \(it had only content, stop\)/);
    assert.doesNotMatch(recent.message, /b6123|update/);
    const old = missingScoresError(url, { content: 'x' }, 0, 1, 'b4100-0123456');
    assert.match(old.message, /the answer to a \/completion .*Its build \(b4100-0123456\) predates b4500/);
    assert.doesNotMatch(missingScoresError(url, undefined, 0, 1, 'unknown').message, /build/);
  });

  it('refuses a vocabulary no model has rather than read it in thousands of requests', async () => {
    const { url, server } = await serve((path, reply) => reply(200, path === '/props'
      ? { total_slots: 2, default_generation_settings: { n_ctx: 256 }, eos_token: '</s>' }
      : { data: [{ meta: { n_vocab: 5_000_000 } }] }));
    try {
      await assert.rejects(connectServer({ url }), (e: Error) => e.name === 'ServerCapabilityError' && /5000000 tokens/.test(e.message));
    } finally {
      server.close();
    }
  });

  it('quotes a refusal\'s message with its status, control characters escaped', async () => {
    const { url, server } = await serve((_path, reply) => reply(503, { error: { message: 'Loading model\u001b[31m', code: 503 } }));
    try {
      await assert.rejects(new ServerClient(url).get('/props'), (e: Error) => e.name === 'ServerResponseError' && /HTTP 503/.test(e.message) && e.message.includes('Loading model\\u001b[31m'));
    } finally {
      server.close();
    }
  });

  it('keeps at most as many requests, so connections, open as it was told (the server\'s HTTP threads are few)', async () => {
    let open = 0;
    let most = 0;
    const { url, server } = await serve((_path, reply) => {
      most = Math.max(most, ++open);
      setTimeout(() => {
        open--;
        reply(200, { ok: true });
      }, 30);
    });
    try {
      const client = new ServerClient(url);
      client.limitConnections(2);
      await Promise.all(Array.from({ length: 6 }, () => client.get('/props')));
      assert.equal(most, 2);
      assert.equal(client.maxInFlight, 2);
    } finally {
      server.close();
    }
  });

  it('accepts only http(s) URLs', () => {
    assert.equal(normaliseServerUrl(' http://box:8080/ '), 'http://box:8080');
    assert.throws(() => normaliseServerUrl('file:///etc/passwd'), /http:\/\/ or https:\/\//);
    assert.throws(() => normaliseServerUrl('box:8080 x'), RangeError);
  });
});

describe('llama-server requests: at most one per slot in flight, the rest in order', () => {
  it('lets `limit` requests run, queues the rest first come first served, and never exceeds the limit', async () => {
    const limit = new RequestLimit(2);
    const order: string[] = [];
    let most = 0;
    const job = async (name: string, ms: number) => {
      const done = await limit.acquire();
      most = Math.max(most, limit.inFlight);
      order.push(`start ${name}`);
      await new Promise((r) => setTimeout(r, ms));
      order.push(`end ${name}`);
      done();
      done(); // a second call changes nothing
    };
    await Promise.all([job('a', 30), job('b', 10), job('c', 5), job('d', 5)]);
    assert.equal(most, 2);
    assert.deepEqual(order.slice(0, 4), ['start a', 'start b', 'end b', 'start c']);
    assert.equal(limit.inFlight, 0);
  });

  it('weighs a request by its prompts, at most the limit, and keeps the order', async () => {
    const limit = new RequestLimit(4);
    const order: string[] = [];
    const job = async (name: string, weight: number, ms: number) => {
      const done = await limit.acquire(weight);
      order.push(`start ${name} (${limit.inFlight})`);
      await new Promise((r) => setTimeout(r, ms));
      done();
    };
    await Promise.all([job('a', 3, 20), job('b', 2, 5), job('c', 9, 5), job('d', 1, 5)]);
    assert.deepEqual(order, ['start a (3)', 'start b (2)', 'start c (4)', 'start d (1)']);
  });
});

describe('llama-server sampling: a sampler chain as the server\'s parameters', () => {
  it('lists the samplers in the chain\'s order, with neutral values for the rest', () => {
    assert.deepEqual(serverSampling([{ type: 'top_k', k: 40 }, { type: 'top_p', p: 0.9 }, { type: 'temperature', t: 0.7 }], 7), {
      seed: 7, top_k: 40, top_p: 0.9, min_p: 0, typical_p: 1, temperature: 0.7, repeat_penalty: 1, frequency_penalty: 0, presence_penalty: 0,
      samplers: ['top_k', 'top_p', 'temperature'],
    });
    assert.deepEqual(serverSampling([{ type: 'penalties', lastN: 64, repeat: 1.1, frequency: 0.2, presence: 0.3 }, { type: 'min_p', p: 0.05, minKeep: 2 }], 1), {
      seed: 1, top_k: 0, top_p: 1, min_p: 0.05, typical_p: 1, temperature: 1, repeat_penalty: 1.1, frequency_penalty: 0.2, presence_penalty: 0.3, repeat_last_n: 64,
      samplers: ['penalties', 'min_p'], min_keep: 2,
    });
  });

  it('has no translation for a sampler twice or two different minKeep', () => {
    assert.equal(serverSampling([{ type: 'temperature', t: 0.5 }, { type: 'temperature', t: 2 }], 0), undefined);
    assert.equal(serverSampling([{ type: 'top_p', p: 0.9, minKeep: 1 }, { type: 'min_p', p: 0.1, minKeep: 3 }], 0), undefined);
  });
});
