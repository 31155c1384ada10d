import { AppError } from '../../src/errors/app-error';

/** The AppError thrown by `work`, or a test failure when it throws nothing (or something else). */
export function thrown(work: () => unknown): AppError {
  try {
    work();
  } catch (error) {
    expect(error).toBeInstanceOf(AppError);
    return error as AppError;
  }
  throw new Error('expected an AppError, nothing was thrown');
}
