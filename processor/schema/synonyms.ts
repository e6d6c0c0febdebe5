// A small multilingual dictionary of the commonest field names (en, pt, es): free, offline synonym matching.
const GROUPS: readonly (readonly string[])[] = [
  ['phone', 'telephone', 'tel', 'celular', 'telefone', 'telefono', 'mobile', 'cellphone', 'cell', 'movil', 'numero_movel', 'phone_number', 'telefone_celular'],
  ['email', 'e-mail', 'e_mail', 'mail', 'email_address', 'correo', 'correo_electronico', 'correio', 'correio_eletronico'],
  ['name', 'nome', 'nombre', 'full_name', 'nome_completo', 'nombre_completo'],
  ['first_name', 'primeiro_nome', 'given_name', 'nombre_de_pila'],
  ['last_name', 'sobrenome', 'apellido', 'surname', 'family_name'],
  ['address', 'endereco', 'direccion', 'street_address', 'logradouro'],
  ['city', 'cidade', 'ciudad', 'town'],
  ['state', 'estado', 'province', 'provincia', 'uf'],
  ['country', 'pais', 'país', 'nation'],
  ['zip', 'zipcode', 'zip_code', 'postal_code', 'cep', 'codigo_postal'],
  ['birth_date', 'birthdate', 'date_of_birth', 'dob', 'data_nascimento', 'data_de_nascimento', 'fecha_nacimiento', 'fecha_de_nacimiento'],
  ['company', 'empresa', 'organization', 'organisation', 'org'],
  ['price', 'preco', 'preço', 'precio'],
  ['quantity', 'qty', 'quantidade', 'cantidad'],
  ['created_at', 'criado_em', 'creado_en', 'created'],
];

const GROUP_OF = new Map<string, number>();
GROUPS.forEach((group, index) => group.forEach((name) => GROUP_OF.set(normalize(name), index)));

function normalize(name: string): string {
  return name
    .toLowerCase()
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[\s.-]+/g, '_');
}

/** The dictionary group of a field name (its canonical member), or null when the name is not in it. */
export function synonymGroup(name: string): string | null {
  const index = GROUP_OF.get(normalize(name));
  return index === undefined ? null : GROUPS[index]![0]!;
}
