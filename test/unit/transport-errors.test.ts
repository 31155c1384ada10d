/** Errors Express and body-parser raise while reading a request become codes of the one taxonomy, with their status. */
import { httpStatusOf } from '../../src/errors/app-error';
import { transportError } from '../../src/http/transport-errors';

const raised = (status: number, type?: string) => Object.assign(new Error('raw parser message'), { status, type });

test.each([
  [raised(413, 'entity.too.large'), 'PAYLOAD_TOO_LARGE', 413, 'Request body is larger than 1 MiB'],
  [raised(400, 'entity.parse.failed'), 'BAD_REQUEST', 400, 'Malformed JSON body'],
  [raised(400, 'request.aborted'), 'BAD_REQUEST', 400, 'Request body was not received completely'],
  [raised(415, 'charset.unsupported'), 'UNSUPPORTED_MEDIA_TYPE', 415, 'Unsupported charset: send the body in UTF-8'],
  [raised(415, 'encoding.unsupported'), 'UNSUPPORTED_MEDIA_TYPE', 415, 'Unsupported Content-Encoding: send the body uncompressed, gzip, deflate or br'],
  [raised(400), 'BAD_REQUEST', 400, 'Bad request'],
  [Object.assign(new URIError('URI malformed'), { status: 400 }), 'BAD_REQUEST', 400, 'Malformed URL: a path segment is not valid percent-encoded UTF-8'],
])('%s → %s', (error, code, status, message) => {
  const mapped = transportError(error);
  expect({ code: mapped?.code, status: mapped && httpStatusOf(mapped.code), message: mapped?.message }).toEqual({ code, status, message });
});

test('anything else is not a transport error (an internal fault, masked by the caller)', () => {
  expect(transportError(new Error('boom'))).toBeNull();
  expect(transportError(raised(500))).toBeNull();
  expect(transportError({ statusCode: 302 })).toBeNull();
  expect(transportError('text')).toBeNull();
  expect(transportError(null)).toBeNull();
});
