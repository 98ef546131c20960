import { Injectable, StandardSchemaValidationPipe, type ArgumentMetadata, type PipeTransform, type StandardSchemaValidationPipeOptions } from '@nestjs/common';
import { InvalidError, NotFoundError } from '@mediamagic/errors';

type Issues = Parameters<NonNullable<StandardSchemaValidationPipeOptions['exceptionFactory']>>[0];

/** `email: Invalid email address; (body): Unrecognized key: "admin"`: which field, and why. */
function describeIssues(issues: Issues): string {
  return issues
    .map((issue) => {
      const path = (issue.path ?? []).map((segment) => String(typeof segment === 'object' ? segment.key : segment)).join('.');
      return path ? `${path}: ${issue.message}` : issue.message;
    })
    .join('; ');
}

/**
 * Validates every parameter that declares a `schema` (`@Body({ schema })`, `@Query`, `@Param`).
 * Invalid input is a 400 with one readable message, except a malformed id in the path: no resource
 * has it, so it is a 404 like any unknown id. A parameter without a schema passes straight through:
 * every route has some (the caller, the request context), and each one used to cost two promises.
 */
@Injectable()
export class RequestValidationPipe implements PipeTransform {
  private readonly standard = new StandardSchemaValidationPipe({ exceptionFactory: (issues) => new InvalidError(describeIssues(issues)) });

  transform(value: unknown, metadata: ArgumentMetadata): unknown {
    return metadata.schema ? this.validated(value, metadata) : value;
  }

  private async validated(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    try {
      return await this.standard.transform(value, metadata);
    } catch (error) {
      if (metadata.type !== 'param' || !(error instanceof InvalidError)) throw error;
      throw new NotFoundError(`no resource with this ${metadata.data ?? 'id'}: ${error.message}`);
    }
  }
}
