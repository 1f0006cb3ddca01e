package orchestrator

// PathForm is how an Orchestrator call names an appliance. Orchestrator 9.3
// moved the nePk from the path into the query, for per-appliance reads
// (/bgp/state/allVrfs/3.NE became /bgp/state/allVrfs?nePk=3.NE) and for the
// appliance REST pass-through alike.
type PathForm string

// Path forms.
const (
	// FormPath (before 9.3): /resource/{nePk}; the pass-through is
	// /appliance/rest/{nePk}/{path}?{appliance query}.
	FormPath PathForm = "path"
	// FormQuery (9.3 and later): /resource?nePk={nePk}; the pass-through is
	// /appliance/rest?nePk={nePk}&url={path?query}, the url value
	// percent-encoded whole.
	FormQuery PathForm = "query"
)

// FormFor returns the form of an Orchestrator release ("9.3.2.40201" →
// FormQuery); a release that cannot be read gets FormPath, the older form,
// as pyedgeconnect does.
func FormFor(release string) PathForm {
	major, minor, ok := BriefInfo{Release: release}.Version()
	if ok && (major > 9 || major == 9 && minor >= 3) {
		return FormQuery
	}
	return FormPath
}

// PathForm returns the form the Orchestrator's release expects (FormFor).
func (b BriefInfo) PathForm() PathForm { return FormFor(b.Release) }
