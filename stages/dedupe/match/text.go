package match

import (
	"slices"
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"

	"github.com/leadstream/leadstream/internal/accents"
)

// NameForm is the name match form of §2.3: lower case, accents removed
// (NFKD, combining marks dropped), hyphens and apostrophes turned into
// spaces, other punctuation dropped and whitespace collapsed.
func NameForm(s string) string {
	if s == "" {
		return ""
	}
	ascii := true
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			ascii = false
			break
		}
	}
	if !ascii {
		s = norm.NFKD.String(s)
	}
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for _, r := range s {
		switch {
		case unicode.Is(unicode.Mn, r):
			continue
		case r == '-' || r == '\'' || r == '’' || unicode.IsSpace(r):
			space = true
			continue
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			if space && b.Len() > 0 {
				b.WriteByte(' ')
			}
			space = false
			b.WriteRune(unicode.ToLower(r))
		}
	}
	return b.String()
}

// addrForm lower-cases an address part and turns punctuation into spaces.
func addrForm(s string) string {
	if s == "" {
		return ""
	}
	var b strings.Builder
	space := false
	for _, r := range strings.ToLower(s) {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			if space && b.Len() > 0 {
				b.WriteByte(' ')
			}
			space = false
			b.WriteRune(r)
			continue
		}
		space = true
	}
	return b.String()
}

func nospace(s string) string { return strings.ReplaceAll(s, " ", "") }

// jw is Jaro-Winkler with prefix scale 0.1 and boost threshold 0.7 (§4.2):
// the prefix boost applies only when the Jaro similarity reaches 0.7. The
// Jaro part comes from adrg/strutil.
func jw(a, b string) float64 {
	if a == b {
		return 1
	}
	if a == "" || b == "" {
		return 0
	}
	j := jaro(a, b)
	if j < 0.7 {
		return j
	}
	p := 0
	for p < len(a) && p < len(b) && p < 4 && a[p] == b[p] {
		p++
	}
	return j + 0.1*float64(p)*(1-j)
}

// jwLoose is the better of jw on the forms as given and with spaces
// removed, so that "ree s" and "rees" compare equal.
func jwLoose(a, b string) float64 {
	s := jw(a, b)
	if s < 1 && (strings.IndexByte(a, ' ') >= 0 || strings.IndexByte(b, ' ') >= 0) {
		if t := jw(nospace(a), nospace(b)); t > s {
			s = t
		}
	}
	return s
}

// jaro is the Jaro similarity as github.com/adrg/strutil computes it
// (match window max(len)/2, matches taken in each direction apart,
// transpositions counted over the shorter list), on runes held in stack
// buffers: the matcher calls it for every candidate pair.
func jaro(a, b string) float64 {
	if len(a) <= 48 && len(b) <= 48 && accents.IsASCII(a) && accents.IsASCII(b) {
		return jaroASCII(a, b)
	}
	return jaroRunes(a, b)
}

func jaroRunes(a, b string) float64 {
	var bufA, bufB, bufC [48]rune
	ra, rb := appendRunes(bufA[:0], a), appendRunes(bufB[:0], b)
	la, lb := len(ra), len(rb)
	if la == 0 && lb == 0 {
		return 1
	}
	if la == 0 || lb == 0 {
		return 0
	}
	half := max(la, lb) / 2
	work := append(bufC[:0], rb...)
	var mA, mB [48]rune
	ma := matchingRunes(ra, work, half, mA[:0])
	work = append(work[:0], ra...)
	mb := matchingRunes(rb, work, half, mB[:0])
	return jaroOfMatches(ma, mb, la, lb)
}

// jaroOfMatches is the Jaro similarity of two strings of lengths la and lb
// from their matching characters in order (ma of the first, mb of the
// second).
func jaroOfMatches[T rune | byte](ma, mb []T, la, lb int) float64 {
	if len(ma) == 0 || len(mb) == 0 {
		return 0
	}
	t := 0
	for i := range min(len(ma), len(mb)) {
		if ma[i] != mb[i] {
			t++
		}
	}
	fm := float64(len(ma))
	return (fm/float64(la) + float64(len(mb))/float64(lb) + (fm-float64(t/2))/fm) / 3
}

// jaroASCII is jaro on ASCII strings of at most 48 bytes, where bytes are
// runes: the same steps without decoding. 0xff marks a used byte (never
// ASCII).
func jaroASCII(a, b string) float64 {
	la, lb := len(a), len(b)
	if la == 0 && lb == 0 {
		return 1
	}
	if la == 0 || lb == 0 {
		return 0
	}
	half := max(la, lb) / 2
	var work [48]byte
	var mA, mB [48]byte
	copy(work[:], b)
	ma := matchingBytes(a, work[:lb], half, mA[:0])
	copy(work[:], a)
	mb := matchingBytes(b, work[:la], half, mB[:0])
	return jaroOfMatches(ma, mb, la, lb)
}

// matchingBytes is matchingRunes on ASCII bytes.
func matchingBytes(a string, b []byte, limit int, out []byte) []byte {
	for i := 0; i < len(a); i++ {
		c := a[i]
		end := min(i+limit+1, len(b))
		for j := max(0, i-limit); j < end; j++ {
			if c == b[j] {
				out = append(out, c)
				b[j] = 0xff
				break
			}
		}
	}
	return out
}

func appendRunes(buf []rune, s string) []rune {
	for _, r := range s {
		buf = append(buf, r)
	}
	return buf
}

// matchingRunes returns the runes of a that match a rune of b within
// limit positions, each rune of b used once (b is overwritten).
func matchingRunes(a, b []rune, limit int, out []rune) []rune {
	for i, r := range a {
		end := min(i+limit+1, len(b))
		for j := max(0, i-limit); j < end; j++ {
			if r == b[j] && b[j] != -1 {
				out = append(out, b[j])
				b[j] = -1
				break
			}
		}
	}
	return out
}

// dice is the Sørensen–Dice coefficient on character bigrams (§2.4).
func dice(a, b string) float64 {
	if a == "" || b == "" {
		return 0
	}
	if a == b {
		return 1
	}
	var bufA, bufB [64]uint64
	ga, gb := bigrams(a, bufA[:0]), bigrams(b, bufB[:0])
	if len(ga)+len(gb) == 0 {
		return 0
	}
	slices.Sort(ga)
	slices.Sort(gb)
	common := 0
	for i, j := 0, 0; i < len(ga) && j < len(gb); {
		switch {
		case ga[i] == gb[j]:
			common++
			i++
			j++
		case ga[i] < gb[j]:
			i++
		default:
			j++
		}
	}
	return 2 * float64(common) / float64(len(ga)+len(gb))
}

// bigrams appends the rune bigrams of s, each packed in a uint64.
func bigrams(s string, buf []uint64) []uint64 {
	var prev rune = -1
	for _, r := range s {
		if prev >= 0 {
			buf = append(buf, uint64(uint32(prev))<<32|uint64(uint32(r)))
		}
		prev = r
	}
	return buf
}

// osa is the optimal-string-alignment edit distance (Levenshtein plus
// adjacent transpositions), on bytes; used for short codes.
func osa(a, b string) int {
	la, lb := len(a), len(b)
	var buf [3 * 65]int
	var prev2, prev, cur []int
	if lb < 65 {
		prev2, prev, cur = buf[0:lb+1], buf[65:65+lb+1], buf[130:130+lb+1]
	} else {
		prev2, prev, cur = make([]int, lb+1), make([]int, lb+1), make([]int, lb+1)
	}
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= la; i++ {
		cur[0] = i
		for j := 1; j <= lb; j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			v := min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				v = min(v, prev2[j-2]+1)
			}
			cur[j] = v
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[lb]
}

// osaWithin reports whether osa(a, b) ≤ k, without the full table when
// the lengths alone rule it out.
func osaWithin(a, b string, k int) bool {
	if d := len(a) - len(b); d > k || -d > k {
		return false
	}
	// An edit changes the byte histogram by at most 2 (L1): a larger
	// difference rules the pair out without the table.
	var h [256]int16
	for i := 0; i < len(a); i++ {
		h[a[i]]++
	}
	for i := 0; i < len(b); i++ {
		h[b[i]]--
	}
	l1 := 0
	for _, v := range h {
		if v < 0 {
			l1 -= int(v)
		} else {
			l1 += int(v)
		}
	}
	if l1 > 2*k {
		return false
	}
	return osa(a, b) <= k
}

// Soundex returns the American Soundex code of the letters of s: the first
// letter, then the digit codes of the following consonants (b f p v → 1;
// c g j k q s x z → 2; d t → 3; l → 4; m n → 5; r → 6), where adjacent
// letters with the same code count once, h and w do not separate equal
// codes but vowels do; padded or cut to four characters. Non-ASCII
// letters and other characters are ignored; "" when s has no letter.
func Soundex(s string) string {
	var out [4]byte
	n := 0
	var last byte
	for i := 0; i < len(s) && n < 4; i++ {
		c := s[i]
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c < 'a' || c > 'z' {
			continue
		}
		code := soundexCode[c-'a']
		if n == 0 {
			out[0] = c - 'a' + 'A'
			n = 1
			last = code
			continue
		}
		switch code {
		case '0': // vowel (and y): separates equal codes
			last = '0'
		case 'h': // h, w: transparent
		default:
			if code != last {
				out[n] = code
				n++
			}
			last = code
		}
	}
	if n == 0 {
		return ""
	}
	for ; n < 4; n++ {
		out[n] = '0'
	}
	return string(out[:])
}

// soundexCode maps a..z to its Soundex digit; '0' marks a vowel or y and
// 'h' marks h and w.
const soundexCode = "0123012h02245501262301h202" // a..z

// nicknames maps a first name (match form) to its nickname classes. Two
// names are equivalent when they share a class. Read-only.
var nicknames = func() map[string][]int {
	classes := [][]string{
		{"robert", "bob", "bobby", "rob", "robbie", "bert"},
		{"william", "bill", "billy", "will", "willy", "liam"},
		{"john", "jon", "jack", "johnny", "jonny"},
		{"jonathan", "jon", "jonny", "nathan"},
		{"james", "jim", "jimmy", "jamie"},
		{"richard", "rick", "ricky", "rich", "dick"},
		{"michael", "mike", "mick", "mickey", "mikey"},
		{"elizabeth", "liz", "lizzie", "beth", "betty", "eliza", "libby"},
		{"margaret", "maggie", "meg", "peggy", "marge"},
		{"katherine", "catherine", "kathryn", "kate", "katie", "kathy", "cathy", "kat"},
		{"thomas", "tom", "tommy"},
		{"charles", "charlie", "chuck", "chas"},
		{"christopher", "chris", "kit"},
		{"christine", "christina", "chris", "tina"},
		{"alexander", "alex", "sandy", "xander"},
		{"alexandra", "alex", "sandra", "sandy", "lexie"},
		{"daniel", "dan", "danny"},
		{"matthew", "matt", "matty"},
		{"andrew", "andy", "drew"},
		{"anthony", "tony"},
		{"joseph", "joe", "joey"},
		{"edward", "ed", "eddie", "ted", "ned"},
		{"david", "dave", "davey"},
		{"steven", "stephen", "steve", "stevie"},
		{"benjamin", "ben", "benny"},
		{"samuel", "sam", "sammy"},
		{"samantha", "sam", "sammy"},
		{"nicholas", "nick", "nicky"},
		{"patricia", "pat", "patty", "trish"},
		{"patrick", "pat", "paddy"},
		{"jennifer", "jen", "jenny"},
		{"susan", "sue", "susie"},
		{"deborah", "debbie", "deb"},
		{"rebecca", "becky", "becca"},
		{"victoria", "vicky", "tori"},
		{"jessica", "jess", "jessie"},
		{"abigail", "abby", "abbie"},
		{"timothy", "tim", "timmy"},
		{"gregory", "greg"},
		{"peter", "pete"},
		{"henry", "harry", "hank"},
		{"harold", "harry", "hal"},
		{"lawrence", "laurence", "larry"},
		{"ronald", "ron", "ronnie"},
		{"donald", "don", "donnie"},
		{"kenneth", "ken", "kenny"},
		{"joshua", "josh"},
		{"zachary", "zach", "zack"},
		{"nathaniel", "nathan", "nate"},
		{"jacob", "jake"},
		{"isabella", "isabel", "bella", "izzy"},
		{"olivia", "liv", "livvy"},
		{"frederick", "fred", "freddie"},
		{"francis", "frank", "fran"},
		{"gerald", "gerry", "jerry"},
		{"jeffrey", "geoffrey", "jeff", "geoff"},
		{"leonard", "leo", "len", "lenny"},
		{"philip", "phillip", "phil"},
		{"raymond", "ray"},
		{"terence", "terry"},
		{"vincent", "vince", "vinny"},
		{"walter", "walt", "wally"},
		{"eleanor", "ellie", "nell", "nora"},
		{"dorothy", "dot", "dottie"},
		{"barbara", "barb", "babs"},
		{"caroline", "carol", "carrie"},
		{"judith", "judy", "jude"},
		{"pamela", "pam"},
		{"sarah", "sara", "sally"},
		{"theodore", "theo", "ted", "teddy"},
		{"oliver", "ollie"},
		{"mohammed", "muhammad", "mohammad", "mohamed"},
	}
	m := make(map[string][]int)
	for i, c := range classes {
		for _, n := range c {
			m[n] = append(m[n], i)
		}
	}
	return m
}()

// nicknameEquivalent reports whether two first names (match forms) share a
// nickname class.
func nicknameEquivalent(a, b string) bool {
	ca, cb := nicknames[a], nicknames[b]
	for _, x := range ca {
		for _, y := range cb {
			if x == y {
				return true
			}
		}
	}
	return false
}
