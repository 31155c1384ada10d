/**
 * The direct route's runner (src/http/direct-route.ts) on a bare Express app: which requests it takes, and that it
 * runs handlers, errors and the end of the list as Express's router does.
 */
import { createServer, type Server } from 'node:http';
import express, { type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import { serveDirect, takes, type DirectRoute } from '../../src/http/direct-route';

describe('takes', () => {
  const route = { method: 'POST', path: '/graphql' };
  it.each([
    ['POST', '/graphql', true],
    ['GET', '/graphql', false],
    ['POST', '/graphql?x=1', false],
    ['POST', '/graphql/', false],
    ['POST', '/GRAPHQL', false],
    ['POST', '/graphql2', false],
  ])('%s %s: %s', (method, url, expected) => {
    expect(takes(route, { method, url } as never)).toBe(expected);
  });
});

describe('serveDirect', () => {
  let server: Server;
  let base: string;
  const seen: string[] = [];
  let handlers: RequestHandler[] = [];

  beforeAll(async () => {
    const app = express();
    const route = (): DirectRoute => ({
      method: 'POST',
      path: '/direct',
      handlers,
      notFound: (_req, res) => void res.status(404).json({ error: 'not found' }),
      onError: (error: unknown, _req: Request, res: Response, next: NextFunction) => {
        if (res.headersSent) return next(error);
        seen.push(`error:${(error as Error).message}`);
        res.status(500).json({ error: (error as Error).message });
      },
      onUnhandled: (error, req) => {
        seen.push(`unhandled:${(error as Error).message}`);
        req.socket.destroy();
      },
    });
    server = createServer((req, res) => serveDirect(app, route(), req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
  beforeEach(() => {
    seen.length = 0;
  });

  const post = () => fetch(`${base}/direct`, { method: 'POST' });

  it('runs the handlers in order, with Express request and response objects', async () => {
    handlers = [
      (req, res, next) => {
        res.locals.first = req.originalUrl;
        next();
      },
      (req, res) => void res.status(201).json({ first: res.locals.first, ip: req.ip }),
    ];
    const response = await post();
    expect(response.status).toBe(201);
    expect(await response.json()).toEqual({ first: '/direct', ip: '127.0.0.1' });
  });

  it('hands next(error), a throw and a rejected promise to the error handler', async () => {
    for (const failing of [
      ((_req, _res, next) => next(new Error('passed'))) as RequestHandler,
      (() => {
        throw new Error('thrown');
      }) as RequestHandler,
      (async () => {
        await Promise.resolve();
        throw new Error('rejected');
      }) as RequestHandler,
    ]) {
      handlers = [(_req, _res, next) => next(), failing];
      const response = await post();
      expect(response.status).toBe(500);
      expect(await response.json()).toEqual({ error: expect.stringMatching(/^(passed|thrown|rejected)$/) });
    }
    expect(seen).toEqual(['error:passed', 'error:thrown', 'error:rejected']);
  });

  it('answers with the not-found handler when every handler passes the request on', async () => {
    handlers = [(_req, _res, next) => next(), (_req, _res, next) => next()];
    const response = await post();
    expect(response.status).toBe(404);
  });

  it('cuts the connection when an error comes after the answer began', async () => {
    handlers = [
      (_req, res, next) => {
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.write('partial');
        next(new Error('late'));
      },
    ];
    await expect(post().then((r) => r.text())).rejects.toThrow();
    expect(seen).toEqual(['unhandled:late']);
  });
});
