/**
 * Parser for D-Bus introspection XML (the output of
 * org.freedesktop.DBus.Introspectable.Introspect). Pure: no I/O.
 *
 * The format is a tiny, fixed XML dialect (node, interface, method, signal,
 * property, arg, annotation), so a tag scanner reads it in one synchronous
 * pass straight into the types below (dbus-next's xml2js would build a
 * generic tree through callbacks first). Anything it does not understand is
 * skipped, never guessed.
 */

export interface IntrospectedArg {
  readonly name?: string;
  readonly type: string;
  readonly direction?: 'in' | 'out';
}

export interface IntrospectedMember {
  readonly name: string;
  readonly args: readonly IntrospectedArg[];
}

export interface IntrospectedProperty {
  readonly name: string;
  readonly type: string;
  readonly access: 'read' | 'write' | 'readwrite';
}

export interface IntrospectedInterface {
  readonly name: string;
  readonly methods: readonly IntrospectedMember[];
  readonly signals: readonly IntrospectedMember[];
  readonly properties: readonly IntrospectedProperty[];
}

export interface IntrospectedNode {
  readonly interfaces: readonly IntrospectedInterface[];
  /** Relative names of child nodes. */
  readonly children: readonly string[];
}

const TAG = /<(\/?)([A-Za-z]+)((?:\s+[A-Za-z_:][-\w:.]*\s*=\s*(?:"[^"]*"|'[^']*'))*)\s*(\/?)>/g;
const ATTRIBUTE = /([A-Za-z_:][-\w:.]*)\s*=\s*(?:"([^"]*)"|'([^']*)')/g;
const COMMENT_OR_DECLARATION = /<!--[\s\S]*?-->|<![^>]*>|<\?[\s\S]*?\?>/g;

interface MutableInterface {
  name: string;
  methods: IntrospectedMember[];
  signals: IntrospectedMember[];
  properties: IntrospectedProperty[];
}

/** Parses introspection XML; throws on text that is not introspection data. */
export function parseIntrospection(xml: string): IntrospectedNode {
  const interfaces: MutableInterface[] = [];
  const children: string[] = [];
  let depth = 0; // node nesting: 1 = the introspected object itself
  let current: MutableInterface | undefined;
  let member: { name: string; args: IntrospectedArg[]; kind: 'method' | 'signal' } | undefined;
  let sawNode = false;

  for (const match of xml.replace(COMMENT_OR_DECLARATION, '').matchAll(TAG)) {
    const [, closing, tag, attributeText = '', selfClosing] = match;
    const attributes = parseAttributes(attributeText);
    if (closing) {
      if (tag === 'node') depth -= 1;
      else if (tag === 'interface') current = undefined;
      else if ((tag === 'method' || tag === 'signal') && member && current) {
        (member.kind === 'method' ? current.methods : current.signals).push({ name: member.name, args: member.args });
        member = undefined;
      }
      continue;
    }
    switch (tag) {
      case 'node':
        sawNode = true;
        if (depth === 1 && attributes.name) children.push(attributes.name);
        if (!selfClosing) depth += 1;
        break;
      case 'interface':
        if (depth !== 1 || !attributes.name) break;
        current = { name: attributes.name, methods: [], signals: [], properties: [] };
        interfaces.push(current);
        if (selfClosing) current = undefined;
        break;
      case 'method':
      case 'signal':
        if (!current || !attributes.name) break;
        member = { name: attributes.name, args: [], kind: tag };
        if (selfClosing) {
          (tag === 'method' ? current.methods : current.signals).push({ name: member.name, args: [] });
          member = undefined;
        }
        break;
      case 'arg':
        if (member && attributes.type) member.args.push(toArg(attributes, member.kind));
        break;
      case 'property':
        if (current && attributes.name && attributes.type) {
          current.properties.push({ name: attributes.name, type: attributes.type, access: toAccess(attributes.access) });
        }
        break;
    }
  }
  if (!sawNode) throw new Error('not D-Bus introspection data: no <node> element');
  return { interfaces, children };
}

function toArg(attributes: Record<string, string>, kind: 'method' | 'signal'): IntrospectedArg {
  const direction = attributes.direction === 'out' ? 'out' : kind === 'method' ? 'in' : undefined;
  return {
    type: attributes.type ?? '',
    ...(attributes.name !== undefined ? { name: attributes.name } : {}),
    ...(direction ? { direction } : {}),
  };
}

function toAccess(access: string | undefined): IntrospectedProperty['access'] {
  return access === 'readwrite' || access === 'write' ? access : 'read';
}

function parseAttributes(text: string): Record<string, string> {
  const attributes: Record<string, string> = {};
  for (const [, name, doubleQuoted, singleQuoted] of text.matchAll(ATTRIBUTE)) {
    if (name) attributes[name] = unescapeXml(doubleQuoted ?? singleQuoted ?? '');
  }
  return attributes;
}

function unescapeXml(text: string): string {
  return text.replace(/&(lt|gt|amp|quot|apos|#\d+|#x[0-9a-fA-F]+);/g, (_, entity: string) => {
    switch (entity) {
      case 'lt': return '<';
      case 'gt': return '>';
      case 'amp': return '&';
      case 'quot': return '"';
      case 'apos': return "'";
      default:
        return String.fromCodePoint(entity.startsWith('#x') ? parseInt(entity.slice(2), 16) : parseInt(entity.slice(1), 10));
    }
  });
}
