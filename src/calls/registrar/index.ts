export {
  ContactSyntaxError,
  type ParsedContact,
  parseContactList,
  parseDeltaSeconds,
  parseNameAddr,
  splitHeaderList,
  uriUser,
} from './contact.ts';
export { Registrar, type RegistrarOptions } from './registrar.ts';
