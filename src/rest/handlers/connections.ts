/**
 * Agentless connections: `/ds-api/pool/pg-instances/{name}` (add, display, update, disable, enable, delete), and the
 * list of the caller's visible connections at `/ds-api/pool/pg-instances`.
 *
 * The body speaks the vendor's dialect (tags as one `"k=v,..."` string, hyphenated monitoring keys); it is
 * translated to the service input, and the service's camelCase field names are translated back in its errors.
 */
import type { Request, Response } from 'express';
import type { z } from 'zod';
import { parseTagString } from '../../access/tags';
import { AppError } from '../../errors/app-error';
import type { Services } from '../../services';
import { MONITORING_SETTING_ROWS, SETTING_OF_REST_KEY, type ConnectionInput } from '../../services/connections';
import { encodeCursor, MAX_PAGE_SIZE } from '../../services/pagination';
import { jsonBody, parseBody } from '../body';
import { ctxOf } from '../context';
import { connectionDto, PASSWORD_MASK, statusDto } from '../dto';
import { pathParam } from '../params';
import { connectionCreateBody, connectionUpdateBody } from '../schemas';

/** Service field names → REST monitoring keys (from the settings table). */
const REST_NAME_OF: ReadonlyMap<string, string> = new Map(MONITORING_SETTING_ROWS.map((s) => [s.name, s.rest]));

type Body = z.output<typeof connectionUpdateBody>;

function toInput(body: Body): ConnectionInput {
  if (body.password === PASSWORD_MASK) {
    throw new AppError(
      'BAD_USER_INPUT',
      `password: "${PASSWORD_MASK}" is the mask shown in place of the password; send the real password, or leave the field out to keep it`,
      { field: 'password' },
    );
  }
  const input: ConnectionInput = {
    host: body.host,
    port: body.port,
    user: body.user,
    password: body.password,
    tags: body.tags === undefined ? undefined : parseTagString(body.tags),
    enabled: body.enabled,
  };
  // Values are checked by the service (e.g. collection-rate must be low, medium or high).
  const settings = input as Record<string, unknown>;
  const values = body as Record<string, unknown>;
  for (const [rest, field] of SETTING_OF_REST_KEY) settings[field] = values[rest];
  return input;
}

/** `lockMonitoringDelay: must be ...` → `lock-monitoring-delay: must be ...`: errors name fields as the caller wrote them. */
async function inRestTerms<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    const field = error instanceof AppError ? error.details.field : undefined;
    const rest = typeof field === 'string' ? REST_NAME_OF.get(field) : undefined;
    if (error instanceof AppError && typeof field === 'string' && rest) {
      const message = error.message.startsWith(`${field}:`) ? `${rest}:${error.message.slice(field.length + 1)}` : error.message;
      throw new AppError(error.code, message, { ...error.details, field: rest });
    }
    throw error;
  }
}

export function connectionHandlers(services: Services) {
  return {
    /** Every connection the caller can see, sorted by name (not in the vendor's reference; handy for scripts). */
    async list(_req: Request, res: Response): Promise<void> {
      const ctx = ctxOf(res);
      const all = [];
      let after: string | null = null;
      for (;;) {
        const page = await services.connections.list(ctx, { first: MAX_PAGE_SIZE, after }).items();
        all.push(...page.items);
        if (!page.hasNextPage || page.items.length === 0) break;
        after = encodeCursor(page.items[page.items.length - 1]!.name);
      }
      res.status(200).json(all.map(connectionDto));
    },

    async create(req: Request, res: Response): Promise<void> {
      const ctx = ctxOf(res);
      const name = pathParam(req, 'name');
      const input = toInput(parseBody(connectionCreateBody, jsonBody(req.body)));
      const { probe } = await inRestTerms(() => services.connections.create(ctx, name, input));
      res.status(201).json(statusDto(probe?.status === 'connected' ? 'Connection created and connected!' : 'Connection created!'));
    },

    async display(req: Request, res: Response): Promise<void> {
      const connection = await services.connections.getOrThrow(ctxOf(res), pathParam(req, 'name'));
      res.status(200).json(connectionDto(connection));
    },

    async update(req: Request, res: Response): Promise<void> {
      const ctx = ctxOf(res);
      const name = pathParam(req, 'name');
      const input = toInput(parseBody(connectionUpdateBody, jsonBody(req.body)));
      await inRestTerms(() => services.connections.update(ctx, name, input));
      res.status(200).json(statusDto('Connection updated!'));
    },

    async disable(req: Request, res: Response): Promise<void> {
      await services.connections.disable(ctxOf(res), pathParam(req, 'name'));
      res.status(200).json(statusDto('Connection disabled!'));
    },

    async enable(req: Request, res: Response): Promise<void> {
      await services.connections.enable(ctxOf(res), pathParam(req, 'name'));
      res.status(200).json(statusDto('Connection enabled!'));
    },

    async remove(req: Request, res: Response): Promise<void> {
      await services.connections.delete(ctxOf(res), pathParam(req, 'name'));
      res.status(200).json(statusDto('Connection deleted!'));
    },
  };
}
