/**
 * gRPC server reflection (grpc.reflection.v1 and v1alpha), hand-written
 * because @grpc/reflection fails on well-known types. Answers
 * list_services, file_by_filename and file_containing_symbol from the
 * protobuf-es descriptors compiled into the server; each file answer carries
 * the file and its transitive dependencies as serialized
 * FileDescriptorProtos.
 */
import { toBinary, type DescFile, type DescMessage, type DescService } from '@bufbuild/protobuf';
import { FileDescriptorProtoSchema } from '@bufbuild/protobuf/wkt';
import type { ServiceImpl } from '@connectrpc/connect';
import { ServerReflection as ReflectionV1 } from '../../../gen/grpc/reflection/v1/reflection_pb.js';
import { ServerReflection as ReflectionV1alpha } from '../../../gen/grpc/reflection/v1alpha/reflection_pb.js';

const GRPC_NOT_FOUND = 5;
const GRPC_UNIMPLEMENTED = 12;

/** The request fields both reflection versions share. */
interface ReflectionRequestLike {
  readonly host: string;
  readonly messageRequest: { readonly case: string | undefined; readonly value?: unknown };
}

/** The oneof of a reflection response, as an init shape both versions accept. */
type ResponseCase =
  | { case: 'fileDescriptorResponse'; value: { fileDescriptorProto: Uint8Array[] } }
  | { case: 'listServicesResponse'; value: { service: { name: string }[] } }
  | { case: 'errorResponse'; value: { errorCode: number; errorMessage: string } };

/** The files, symbols and services a reflection endpoint describes. */
export class ReflectionIndex {
  private readonly files = new Map<string, DescFile>();
  private readonly symbols = new Map<string, DescFile>();
  private readonly serviceNames: string[];

  /**
   * @param services the services served on the port (their files and dependencies are indexed).
   * @param extraFiles more files to describe though no service imports them (e.g. the ErrorReason enum, google.rpc details).
   */
  constructor(services: readonly DescService[], extraFiles: readonly DescFile[] = []) {
    this.serviceNames = services.map((s) => s.typeName);
    for (const s of services) this.addFile(s.file);
    for (const f of extraFiles) this.addFile(f);
  }

  private addFile(file: DescFile): void {
    if (this.files.has(file.proto.name)) return;
    this.files.set(file.proto.name, file);
    for (const s of file.services) {
      this.symbols.set(s.typeName, file);
      for (const m of s.methods) this.symbols.set(`${s.typeName}.${m.name}`, file);
    }
    for (const e of file.enums) this.symbols.set(e.typeName, file);
    for (const x of file.extensions) this.symbols.set(x.typeName, file);
    const addMessage = (m: DescMessage): void => {
      this.symbols.set(m.typeName, file);
      for (const e of m.nestedEnums) this.symbols.set(e.typeName, file);
      for (const x of m.nestedExtensions) this.symbols.set(x.typeName, file);
      m.nestedMessages.forEach(addMessage);
    };
    file.messages.forEach(addMessage);
    file.dependencies.forEach((d) => this.addFile(d));
  }

  /** The names of the services served. */
  listServices(): string[] {
    return [...this.serviceNames];
  }

  /** The file, then its transitive dependencies, as serialized FileDescriptorProtos. */
  private withDependencies(file: DescFile): Uint8Array[] {
    const seen = new Set<string>();
    const out: Uint8Array[] = [];
    const visit = (f: DescFile): void => {
      if (seen.has(f.proto.name)) return;
      seen.add(f.proto.name);
      out.push(toBinary(FileDescriptorProtoSchema, f.proto));
      f.dependencies.forEach(visit);
    };
    visit(file);
    return out;
  }

  /** The answer to one reflection request. */
  answer(req: ReflectionRequestLike): ResponseCase {
    const { case: kind, value } = req.messageRequest;
    const notFound = (what: string): ResponseCase => ({
      case: 'errorResponse',
      value: { errorCode: GRPC_NOT_FOUND, errorMessage: `${what} not found` },
    });
    switch (kind) {
      case 'listServices':
        return { case: 'listServicesResponse', value: { service: this.serviceNames.map((name) => ({ name })) } };
      case 'fileByFilename': {
        const f = this.files.get(String(value));
        return f
          ? { case: 'fileDescriptorResponse', value: { fileDescriptorProto: this.withDependencies(f) } }
          : notFound(`file ${String(value)}`);
      }
      case 'fileContainingSymbol': {
        const name = String(value).replace(/^\./, '');
        const f = this.symbols.get(name);
        return f
          ? { case: 'fileDescriptorResponse', value: { fileDescriptorProto: this.withDependencies(f) } }
          : notFound(`symbol ${name}`);
      }
      case 'fileContainingExtension':
      case 'allExtensionNumbersOfType':
        return notFound('extension');
      default:
        return { case: 'errorResponse', value: { errorCode: GRPC_UNIMPLEMENTED, errorMessage: 'unsupported reflection request' } };
    }
  }
}

function bidi<Req extends ReflectionRequestLike>(index: ReflectionIndex) {
  return async function* serverReflectionInfo(requests: AsyncIterable<Req>) {
    for await (const req of requests) {
      yield { validHost: req.host, originalRequest: req, messageResponse: index.answer(req) };
    }
  };
}

/** grpc.reflection.v1.ServerReflection over an index. */
export function createReflectionV1(index: ReflectionIndex): ServiceImpl<typeof ReflectionV1> {
  return { serverReflectionInfo: bidi(index) } as ServiceImpl<typeof ReflectionV1>;
}

/** grpc.reflection.v1alpha.ServerReflection over an index. */
export function createReflectionV1alpha(index: ReflectionIndex): ServiceImpl<typeof ReflectionV1alpha> {
  return { serverReflectionInfo: bidi(index) } as ServiceImpl<typeof ReflectionV1alpha>;
}

/** The two reflection service descriptors, for mounting. */
export const REFLECTION_SERVICES = [ReflectionV1, ReflectionV1alpha] as const;
