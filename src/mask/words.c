/*
 * words.c - the word lists the fakes are drawn from. Written for sluice:
 * given names and family names from many languages (spelt in ASCII so that
 * any column, collation and engine takes them), street and town parts that
 * make plausible but invented places, and mail domains under the TLDs that
 * RFC 2606 reserves (.test, .example), so a fake address never reaches a
 * real mailbox. Changing a list changes every fake: the lists are part of
 * the output's definition (docs/masking.md).
 */
#include "mask_int.h"

#include <string.h>

/* clang-format off */
const char *const sl_words_first[] = {
	"Abebe", "Adaeze", "Adil", "Agnese", "Aiko", "Akosua", "Alarik", "Aleksi", "Alinta", "Amara",
	"Amaru", "Anouk", "Anselm", "Arjun", "Arvid", "Asel", "Astrid", "Ayesha", "Bartek", "Bettina",
	"Bilal", "Bodil", "Bongani", "Brigid", "Caetano", "Calla", "Camila", "Cato", "Cenk", "Chiamaka",
	"Cosmin", "Dagny", "Dalia", "Damaris", "Darius", "Delfina", "Desta", "Dmitri", "Dorota", "Duc",
	"Eamon", "Edda", "Efua", "Eilidh", "Eitan", "Ekaterina", "Elif", "Emeka", "Enzo", "Esperanza",
	"Ezio", "Fenna", "Filipa", "Finnian", "Folake", "Gaspard", "Gideon", "Giedre", "Goran", "Greta",
	"Gunnar", "Hamid", "Hanne", "Haruto", "Hedda", "Hiroshi", "Idris", "Ifeoma", "Ilse", "Imogen",
	"Inaya", "Ines", "Ioana", "Isidro", "Ivo", "Jarrah", "Jaroslav", "Jelena", "Joaquin", "Jovana",
	"Kaito", "Kalani", "Kamau", "Karolina", "Kasimir", "Kaveh", "Keziah", "Kirra", "Koa", "Lachlan",
	"Laila", "Leandro", "Leilani", "Lennart", "Linnea", "Luana", "Luka", "Mahlet", "Malik", "Marisol",
	"Matteo", "Meera", "Mette", "Mihail", "Minh", "Mirela", "Moana", "Nadia", "Naledi", "Nando",
	"Nikhil", "Nilufar", "Noor", "Oisin", "Olamide", "Oskar", "Paavo", "Paloma", "Pedro", "Petra",
	"Quilla", "Radek", "Rafferty", "Rania", "Renata", "Rohan", "Rosalind", "Rustam", "Saanvi", "Salma",
	"Sander", "Saoirse", "Selin", "Sibusiso", "Sigrun", "Soren", "Sunniva", "Tadeo", "Tahmina", "Takoda",
	"Tamsin", "Teodor", "Thandiwe", "Tiago", "Tove", "Ulrike", "Umar", "Valeria", "Vesna", "Viggo",
	"Wanjiru", "Wiebke", "Xochitl", "Yara", "Yerlan", "Yusra", "Zaid", "Zanele", "Zofia", "Zuri",
};
const size_t sl_words_nfirst = sizeof(sl_words_first) / sizeof(sl_words_first[0]);

const char *const sl_words_last[] = {
	"Abara", "Achterberg", "Adeyemi", "Agostini", "Alvarenga", "Amundsen", "Andrade", "Arslan", "Ashworth", "Aziz",
	"Bakshi", "Balogun", "Barros", "Bergstrom", "Bianchi", "Blackwood", "Bogdan", "Brandt", "Calloway", "Carvalho",
	"Castellanos", "Chakraborty", "Chowdhury", "Cifuentes", "Constantin", "Dahl", "Dalgaard", "Delacroix",
	"Demir", "Desai", "Dimitrov", "Dlamini", "Donovan", "Duarte", "Eberhardt", "Ekwueme", "Engstrom", "Esposito",
	"Falk", "Farouk", "Fernandes", "Fitzgerald", "Fonseca", "Fujimoto", "Gallagher", "Gashi", "Gonzaga",
	"Grabowski", "Gudmundsson", "Gunawardena", "Haas", "Hakimi", "Halvorsen", "Hashemi", "Hayashi", "Hendrix",
	"Herrera", "Holm", "Horvath", "Iqbal", "Ishikawa", "Ivanova", "Jablonski", "Jaramillo", "Jensen", "Jovanovic",
	"Kapoor", "Karimi", "Kaur", "Keane", "Khumalo", "Kiplagat", "Kobayashi", "Kowalczyk", "Kristiansen",
	"Lachance", "Larsen", "Lindqvist", "Lombardi", "Lopes", "Lundgren", "Macharia", "Mahlangu", "Makinen",
	"Marchetti", "Mbeki", "Mendoza", "Mikkelsen", "Moreau", "Mukherjee", "Murakami", "Nakashima", "Navarro",
	"Ndlovu", "Nieminen", "Novotny", "Nwachukwu", "Obradovic", "Odhiambo", "Okonkwo", "Olsen", "Onyango",
	"Ortega", "Osei", "Palmieri", "Pereira", "Petrovic", "Pham", "Quintero", "Rahman", "Ramaswamy",
	"Rasmussen", "Reinholt", "Ribeiro", "Rinaldi", "Rojas", "Saarinen", "Sadeghi", "Salazar", "Santoro",
	"Sato", "Schreiber", "Sepulveda", "Shapiro", "Siddiqui", "Sokolova", "Solberg", "Stojanovic", "Suzuki",
	"Tanaka", "Tavares", "Thorsen", "Toivonen", "Trinh", "Uchenna", "Ueda", "Valdivia", "Vasquez", "Vega",
	"Villanueva", "Vukovic", "Wakefield", "Watanabe", "Wojcik", "Yamamoto", "Yilmazer", "Yoshida", "Zapata",
	"Zawadzki", "Zeller", "Zielinski",
};
const size_t sl_words_nlast = sizeof(sl_words_last) / sizeof(sl_words_last[0]);

const char *const sl_words_street[] = {
	"Acorn", "Alder", "Amberley", "Applewood", "Aspen", "Beacon", "Birchwood", "Bramble", "Briar", "Buttercup",
	"Cedar", "Chestnut", "Cinder", "Clover", "Cobble", "Copper", "Cormorant", "Cypress", "Dovecote", "Elderberry",
	"Elmwood", "Fernhill", "Fieldfare", "Flint", "Foxglove", "Garnet", "Goldcrest", "Hawthorn", "Hazelnut",
	"Heatherbank", "Heron", "Hickory", "Hollyhock", "Juniper", "Kestrel", "Kingfisher", "Lantern", "Larkspur",
	"Laurel", "Lilac", "Linden", "Magnolia", "Mallow", "Marigold", "Meadowsweet", "Millpond", "Mulberry",
	"Nightingale", "Oakapple", "Orchard", "Osprey", "Otterburn", "Pebblebrook", "Pinecone", "Plover",
	"Poppyfield", "Quarrystone", "Quince", "Ravensworth", "Redwing", "Rosebay", "Rowan", "Saffron", "Sandpiper",
	"Silverbirch", "Skylark", "Sorrel", "Starling", "Sweetbriar", "Sycamore", "Tamarisk", "Teasel", "Thistledown",
	"Timberline", "Tumbleweed", "Waxwing", "Whitethorn", "Wildflower", "Willowbank", "Windmill", "Wren", "Yarrow",
};
const size_t sl_words_nstreet = sizeof(sl_words_street) / sizeof(sl_words_street[0]);

const char *const sl_words_street_type[] = {
	"Street", "Avenue", "Road", "Lane", "Way", "Drive", "Court", "Place", "Terrace", "Close",
	"Row", "Walk", "Grove", "Mews", "Parade", "Rise",
};
const size_t sl_words_nstreet_type = sizeof(sl_words_street_type) / sizeof(sl_words_street_type[0]);

const char *const sl_words_town_head[] = {
	"Amber", "Ash", "Bell", "Black", "Bright", "Clay", "Cold", "Crow", "Deer", "Elder", "Fair", "Fern",
	"Glen", "Gold", "Green", "Hart", "Hazel", "High", "Holly", "Iron", "Lark", "Long", "Marsh", "Mill",
	"Moss", "North", "Oak", "Pike", "Red", "Rook", "Salt", "Silver", "Sparrow", "Stone", "Swan", "Thorn",
	"Wester", "Willow", "Wolf", "Wyn",
};
const size_t sl_words_ntown_head = sizeof(sl_words_town_head) / sizeof(sl_words_town_head[0]);

const char *const sl_words_town_tail[] = {
	"borough", "bridge", "brook", "bury", "combe", "dale", "field", "ford", "gate", "haven",
	"holm", "hurst", "mere", "moor", "mouth", "ridge", "stead", "thorpe", "wick", "worth",
};
const size_t sl_words_ntown_tail = sizeof(sl_words_town_tail) / sizeof(sl_words_town_tail[0]);

const char *const sl_words_mail_domain[] = {
	"mail.test", "post.test", "inbox.test", "letters.test", "webmail.example", "mailbox.example",
	"postbox.example", "correo.example",
};
const size_t sl_words_nmail_domain = sizeof(sl_words_mail_domain) / sizeof(sl_words_mail_domain[0]);
/* clang-format on */

bool sl_words_has(const char *const *list, size_t n, const char *s, size_t len)
{
	for (size_t i = 0; i < n; i++)
		if (strlen(list[i]) == len && memcmp(list[i], s, len) == 0)
			return true;
	return false;
}
