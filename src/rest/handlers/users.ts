/**
 * Users: `/ds-api/users` and `/ds-api/users/{email}` (administration). The email in the path is percent-decoded by
 * Express (`jean%40corp.com` works as well as `jean@corp.com`) and matched case-insensitively by the service.
 */
import type { Request, Response } from 'express';
import type { z } from 'zod';
import type { RequestContext } from '../../context/request-context';
import type { UserEntity } from '../../entities/user.entity';
import type { Services } from '../../services';
import type { UserInput } from '../../services/user.service';
import { jsonBody, parseBody } from '../body';
import { ctxOf } from '../context';
import { statusDto, userDto, type UserDto } from '../dto';
import { pathParam } from '../params';
import { userInputBody } from '../schemas';
import { defined } from '../../services/validation';

/** What the vendor's UI and scripts call having no role (e.g. `"role": "No restriction"` in its LDAP playbook). */
const NO_ROLE = /^\s*(no restriction)?\s*$/i;

/**
 * The older single `role` next to `roles`: `role` alone stands for `[role]` (`null`, `""` or `"No restriction"`: no
 * role); both together mean every role named in either. Neither: roles unchanged (PUT) or none (POST).
 */
function rolesOf(body: z.output<typeof userInputBody>): string[] | undefined {
  const single = body.role === undefined ? undefined : body.role === null || NO_ROLE.test(body.role) ? [] : [body.role];
  if (body.roles === undefined) return single;
  if (single === undefined) return body.roles;
  return [...new Set([...single, ...body.roles])];
}

function toInput(body: z.output<typeof userInputBody>): UserInput {
  return {
    password: body.password,
    privilege: body.privilege as UserInput['privilege'],
    profile: body.profile as UserInput['profile'],
    live360: body.live_360,
    roles: rolesOf(body),
    comment: body.comment,
    ldap: body.ldap,
  };
}

/** Users as REST shows them, with their roles (one batched query for all of them). */
export async function userDtos(ctx: RequestContext, users: readonly UserEntity[]): Promise<UserDto[]> {
  const roles = await Promise.all(users.map((u) => ctx.loaders.rolesOfUser.load(u.id)));
  return users.map((u, i) => userDto(u, roles[i]!));
}

export function userHandlers(services: Services) {
  return {
    async list(_req: Request, res: Response): Promise<void> {
      const users = await services.users.list(ctxOf(res));
      res.status(200).json(await userDtos(ctxOf(res), users));
    },

    async create(req: Request, res: Response): Promise<void> {
      const email = pathParam(req, 'email');
      const input = defined(toInput(parseBody(userInputBody, jsonBody(req.body))));
      const user = await services.users.create(ctxOf(res), email, input);
      res.status(201).json(statusDto(`User with login ${user.login} created successfully`));
    },

    async display(req: Request, res: Response): Promise<void> {
      const user = await services.users.getOrThrow(ctxOf(res), pathParam(req, 'email'));
      const [dto] = await userDtos(ctxOf(res), [user]);
      res.status(200).json(dto);
    },

    async update(req: Request, res: Response): Promise<void> {
      const email = pathParam(req, 'email');
      const input = defined(toInput(parseBody(userInputBody, jsonBody(req.body))));
      const user = await services.users.update(ctxOf(res), email, input);
      res.status(200).json(statusDto(`User with login ${user.login} updated successfully`));
    },

    async remove(req: Request, res: Response): Promise<void> {
      const user = await services.users.delete(ctxOf(res), pathParam(req, 'email'));
      res.status(200).json(statusDto(`User with login ${user.login} deleted successfully`));
    },
  };
}
