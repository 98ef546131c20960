/**
 * What a call that should fail rejected with, as the status and message a client sees (a
 * RemoteError's, or an HttpException's); fails the test when the call succeeded instead.
 */
export function failureOf(call: Promise<unknown>): Promise<{ statusCode: number; message: string }> {
  return call.then(
    (answer) => {
      throw new Error(`expected an error, got ${JSON.stringify(answer)}`);
    },
    (error: { statusCode?: number; message: string }) => {
      if (typeof error?.statusCode !== 'number') throw error;
      return { statusCode: error.statusCode, message: error.message };
    },
  );
}
