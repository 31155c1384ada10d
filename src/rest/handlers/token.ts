/**
 * Access tokens:
 * - `POST /ds-api/user-token` (and `/ds-api/user-token/{organization}`), HTTP Basic credentials (login or email):
 *   201 `{"user-token": "..."}`;
 * - `GET /ds-api/user-token?token=T`: 200 the token's details to whoever holds `T` (the vendor's Ansible role sends
 *   no credentials); Basic credentials are optional, and checked when sent; a bad `T` is a 401;
 * - `GET /ds-api/user-token` without `token`: 200 `{"user-token": "..."}`, as the vendor's current Ansible role
 *   (`create_user_token`) asks for a token.
 */
import type { Request, Response } from 'express';
import { AppError } from '../../errors/app-error';
import type { Services } from '../../services';
import { basicCredentials, contextFromBasic, requireBasic, restActing, BASIC_CHALLENGE } from '../context';
import { tokenDetailsDto, tokenDto } from '../dto';

export function tokenHandlers(services: Services) {
  const issue = async (req: Request, res: Response, status: number): Promise<void> => {
    const { login, password } = requireBasic(req, res);
    try {
      const issued = await services.auth.createToken(login, password, req.ip, restActing(res));
      const organization = req.params.organization;
      if (typeof organization === 'string') services.auth.checkOrganization(organization);
      res.locals.login = issued.user.login;
      res.status(status).json(tokenDto(issued.token));
    } catch (error) {
      if (error instanceof AppError && error.code === 'UNAUTHENTICATED') res.setHeader('WWW-Authenticate', BASIC_CHALLENGE);
      throw error;
    }
  };

  return {
    create: (req: Request, res: Response) => issue(req, res, 201),

    async details(req: Request, res: Response): Promise<void> {
      const token = req.query.token;
      if (token === undefined) return issue(req, res, 200);
      // Credentials are not needed, but credentials that are sent must be right (a wrong password is a failed sign-in).
      if (basicCredentials(req)) await contextFromBasic(services, req, res);
      if (typeof token !== 'string') throw new AppError('BAD_USER_INPUT', 'token: give exactly one token', { field: 'token' });
      const details = await services.auth.tokenDetailsByPossession(token.trim(), req.ip);
      res.locals.login ??= details.user;
      res.status(200).json(tokenDetailsDto(details));
    },
  };
}
