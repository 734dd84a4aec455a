/*
 * names.c - common given names and family names from many languages, in
 * ASCII, written for sluice's personal-data detector: a column of
 * capitalised phrases ("Cloud Migration") is taken for people's names only
 * when enough of them start with a given name or end with a family name of
 * these lists. They are not the masking fakes' lists (src/mask/words.c).
 */
#include "pii_int.h"

#include <string.h>
#include <strings.h>

/* clang-format off */
static const char *const given[] = {
	"aaron", "abdul", "adam", "adrian", "ahmed", "aisha", "alan", "albert", "alejandro", "alex", "alexander",
	"alice", "ali", "alicia", "amanda", "amy", "ana", "andrea", "andrew", "angela", "anna", "anne", "anthony",
	"antonio", "arjun", "barbara", "ben", "benjamin", "bob", "brian", "carlos", "carmen", "carol", "catherine",
	"charles", "chen", "chris", "christian", "christine", "claire", "daniel", "david", "deborah", "dennis",
	"diana", "diego", "dmitri", "elena", "elizabeth", "emily", "emma", "eric", "eva", "fatima", "francesco",
	"frank", "gabriel", "george", "giulia", "grace", "hannah", "hans", "harry", "helen", "henry", "hiroshi",
	"hugo", "ian", "ibrahim", "igor", "irene", "isabel", "ivan", "jack", "jacob", "james", "jane", "janet",
	"jason", "javier", "jean", "jennifer", "jessica", "jim", "joan", "joe", "johan", "john", "jonathan",
	"jorge", "jose", "joseph", "juan", "julia", "julie", "karen", "kate", "kenji", "kevin", "kim", "laura",
	"lars", "lea", "lena", "leo", "li", "linda", "lisa", "lucas", "lucia", "luis", "luke", "maria", "mark",
	"marco", "martin", "mary", "matthew", "max", "mei", "michael", "michelle", "miguel", "mike", "mohammed",
	"muhammad", "nancy", "natalia", "nicole", "nina", "noah", "olga", "oliver", "olivia", "omar", "oscar",
	"pablo", "patrick", "paul", "pedro", "peter", "priya", "rachel", "rahul", "raj", "rebecca", "richard",
	"robert", "rosa", "ryan", "sakura", "samuel", "sandra", "sara", "sarah", "sean", "sergei", "simon",
	"sofia", "sophie", "stephen", "steven", "susan", "thomas", "tim", "tom", "tomas", "victor", "wei",
	"william", "yuki", "yusuf", "zhang",
};

static const char *const family[] = {
	"adams", "ahmed", "ali", "allen", "anderson", "baker", "brown", "campbell", "chen", "clark", "cohen",
	"davies", "davis", "doe", "dubois", "evans", "fernandez", "fischer", "garcia", "gonzalez", "green",
	"hall", "harris", "hernandez", "hill", "huang", "ivanov", "jackson", "johnson", "jones", "kim", "king",
	"kowalski", "lee", "lewis", "li", "liu", "lopez", "martin", "martinez", "meyer", "miller", "moore",
	"muller", "murphy", "nakamura", "nguyen", "novak", "patel", "perez", "petrov", "robinson", "rodriguez",
	"rossi", "sanchez", "santos", "schmidt", "schneider", "silva", "singh", "smith", "sato", "suzuki",
	"tanaka", "taylor", "thomas", "thompson", "tran", "walker", "wang", "white", "williams", "wilson",
	"wright", "wu", "yamamoto", "yang", "young", "zhang", "zhao",
};
/* clang-format on */

static bool listed(const char *const *list, size_t n, const char *w, size_t len)
{
	for (size_t i = 0; i < n; i++)
		if (strlen(list[i]) == len && strncasecmp(list[i], w, len) == 0)
			return true;
	return false;
}

bool sl_pii_known_name(const char *s, size_t n)
{
	size_t first = 0, last = n;
	while (first < n && s[first] != ' ')
		first++;
	while (last > 0 && s[last - 1] != ' ')
		last--;
	return listed(given, sizeof(given) / sizeof(given[0]), s, first) ||
	       listed(family, sizeof(family) / sizeof(family[0]), s + last, n - last);
}
