# Regenerates the sample exports in this folder (python3 make_samples.py).
# Headers are the documented ones of providers.md; values are made up.
# BookYourData/LeadsBlue/UpLead/Lusha/Hunter/RocketReach/Lead411 layouts are ASSUMED (no real export known).
import csv, io, json, zipfile

def write_csv(name, header, rows, delim=',', quote_all=False, enc='utf-8', bom=False, malformed=None, malformed_at=None):
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=delim, quoting=csv.QUOTE_ALL if quote_all else csv.QUOTE_MINIMAL, lineterminator='\r\n')
    w.writerow(header)
    for i, r in enumerate(rows):
        if malformed is not None and i == malformed_at:
            buf.write(malformed + '\r\n')
        full = [''] * len(header)
        for k, v in r.items():
            full[header.index(k)] = v
        w.writerow(full)
    data = buf.getvalue().encode(enc)
    if bom:
        data = b'\xef\xbb\xbf' + data
    open(name, 'wb').write(data)

apollo_h = "First Name,Last Name,Title,Company Name,Company Name for Emails,Email,Email Status,Primary Email Source,Primary Email Verification Source,Email Confidence,Primary Email Catch-all Status,Primary Email Last Verified At,Seniority,Departments,Contact Owner,Work Direct Phone,Home Phone,Mobile Phone,Corporate Phone,Other Phone,Stage,Lists,Last Contacted,Account Owner,# Employees,Industry,Keywords,Person Linkedin Url,Website,Company Linkedin Url,Facebook Url,Twitter Url,City,State,Country,Company Address,Company City,Company State,Company Country,Company Phone,Technologies,Annual Revenue,Total Funding,Latest Funding,Latest Funding Amount,Last Raised At,Subsidiary of,Email Sent,Email Open,Email Bounced,Replied,Demoed,Number of Retail Locations,Apollo Contact Id,Apollo Account Id,Secondary Email,Secondary Email Source,Secondary Email Status,Secondary Email Verification Source,Tertiary Email,Tertiary Email Source,Tertiary Email Status,Tertiary Email Verification Source,Primary Intent Topic,Primary Intent Score,Secondary Intent Topic,Secondary Intent Score,Qualify Contact".split(',')
assert len(apollo_h) == 68, len(apollo_h)
apollo_rows = [
 {"First Name":"Jane","Last Name":"Doe","Title":"Founder & CEO","Company Name":"Example Co","Company Name for Emails":"Example","Email":"jane@example.com","Email Status":"Verified","Primary Email Catch-all Status":"Not Catch-all","Seniority":"Founder","Departments":"C-Suite, Engineering & Technical","Work Direct Phone":"'+1 415-555-0100","Mobile Phone":"'+1 415-555-0199","Corporate Phone":"'+1 415-555-0000","# Employees":"1600","Industry":"computer software","Keywords":"saas, crm","Person Linkedin Url":"http://www.linkedin.com/in/janedoe","Website":"http://www.example.com","City":"San Francisco","State":"California","Country":"United States","Company Address":"1 Market St, San Francisco, California, United States, 94105","Company City":"San Francisco","Company State":"California","Company Country":"United States","Technologies":"Salesforce, Slack, AWS","Annual Revenue":"100000000","Email Sent":"false","Apollo Contact Id":"64a7ff0cc4dfae00013df1a5","Apollo Account Id":"5e66b6381e05b4008c8331b8","Secondary Email":"jane.doe@gmail.com","Last Contacted":"2026-01-10T13:27:20+00:00"},
 {"First Name":"Ravi","Last Name":"Kumar","Title":"VP Sales","Company Name":"Northwind Traders","Email":"ravi.kumar@northwind.co.uk","Email Status":"Unavailable","Seniority":"Vp","Departments":"Sales","Mobile Phone":"'+44 7700 900123","# Employees":"85","Industry":"wholesale","Person Linkedin Url":"https://www.linkedin.com/in/ravikumar","Website":"https://northwind.co.uk","City":"London","Country":"United Kingdom","Company City":"London","Company Country":"United Kingdom","Apollo Contact Id":"64a7ff0cc4dfae00013df1b7"},
 {"First Name":"Zoë","Last Name":"Müller","Title":"Head of IT","Company Name":"Fabrikam GmbH","Email":"zoe.mueller@fabrikam.de","Email Status":"User Managed","Seniority":"Head","Departments":"Information Technology","Work Direct Phone":"'+49 30 1234567","# Employees":"420","Industry":"manufacturing","Website":"fabrikam.de","City":"Berlin","Country":"Germany","Technologies":"SAP","Apollo Contact Id":"64a7ff0cc4dfae00013df1c9"},
 {"First Name":"Ann","Last Name":"Lee","Title":"Engineer","Company Name":"Contoso","Email":"ann@contoso.com","Email Status":"Verified","Apollo Contact Id":"64a7ff0cc4dfae00013df1d0","Lists":"Q3 \"key\"\naccounts"},
]
write_csv("apollo.csv", apollo_h, apollo_rows, malformed='Broken,Row,"never closed,' , malformed_at=3)

zi_h = "ZoomInfo Contact ID,Last Name,First Name,Middle Name,Salutation,Suffix,Job Title,Job Title Hierarchy Level,Management Level,Job Start Date,Job Function,Department,Company Division Name,Direct Phone Number,Email Address,Email Domain,Mobile phone,Last Job Change Type,Last Job Change Date,Previous Job Title,Previous Company Name,Previous Company ZoomInfo Company ID,Previous Company LinkedIn Profile,Highest Level of Education,Contact Accuracy Score,Contact Accuracy Grade,ZoomInfo Contact Profile URL,LinkedIn Contact Profile URL,Notice Provided Date,Person Street,Person City,Person State,Person Zip Code,Country,ZoomInfo Company ID,Company Name,Company Description,Website,Founded Year,Company HQ Phone,Fax,Ticker,Revenue (in 000s USD),Revenue Range (in USD),Est. Marketing Department Budget (in 000s USD),Est. Finance Department Budget (in 000s USD),Est. IT Department Budget (in 000s USD),Est. HR Department Budget (in 000s USD),Employees,Employee Range,Past 1 Year Employee Growth Rate,Past 2 Year Employee Growth Rate,SIC Code 1,SIC Code 2,SIC Codes,NAICS Code 1,NAICS Code 2,NAICS Codes,Primary Industry,Primary Sub-Industry,All Industries,All Sub-Industries,Industry Hierarchical Category,Secondary Industry Hierarchical Category,Alexa Rank,ZoomInfo Company Profile URL,LinkedIn Company Profile URL,Facebook Company Profile URL,Twitter Company Profile URL,Ownership Type,Business Model,Certified Active Company,Certification Date,Total Funding Amount (in 000s USD),Recent Funding Amount (in 000s USD),Recent Funding Round,Recent Funding Date,Recent Investors,All Investors,Company Street Address,Company City,Company State,Company Zip Code,Company Country,Full Address,Number of Locations".split(',')
assert len(zi_h) == 86, len(zi_h)
zi_rows = [
 {"ZoomInfo Contact ID":"4191419698","Last Name":"Doe","First Name":"Jane","Job Title":"Chief Financial Officer","Management Level":"C-Level","Department":"Finance","Direct Phone Number":"(206) 555-0142","Email Address":"jane.doe@example.com","Email Domain":"example.com","Mobile phone":"(206) 555-0199","Contact Accuracy Score":"96","LinkedIn Contact Profile URL":"https://www.linkedin.com/in/janedoe","Person City":"Seattle","Person State":"Washington","Person Zip Code":"98101","Country":"United States","ZoomInfo Company ID":"346572700","Company Name":"Example Co","Website":"www.example.com","Founded Year":"1998","Company HQ Phone":"(206) 555-0100","Revenue (in 000s USD)":"400000","Revenue Range (in USD)":"$250 mil. - $500 mil.","Employees":"3508","Employee Range":"1,000 - 5,000","Primary Industry":"Software","Company Street Address":"500 Pine St","Company City":"Seattle","Company State":"Washington","Company Zip Code":"98101","Company Country":"United States"},
 {"ZoomInfo Contact ID":"4191419701","Last Name":"Ó Briain","First Name":"Siobhán","Job Title":"Directeur Général","Management Level":"Director","Email Address":"siobhan@exemple.fr","Country":"France","Company Name":"Exemple SàRL","Revenue (in 000s USD)":"12,500","Employees":"120","Primary Industry":"Business Services","Company City":"Paris","Company Country":"France"},
 {"ZoomInfo Contact ID":"4191419702","Last Name":"Smith","First Name":"Tom","Job Title":"IT Manager","Email Address":"tom.smith@acme.com","Company Name":"Acme Corp","Revenue (in 000s USD)":"not disclosed","Employees":"50"},
]
# ZoomInfo sample: semicolon-delimited, Windows-1252, with a BOM-less header and a malformed row (wrong field count).
write_csv("zoominfo.csv", zi_h, zi_rows, delim=';', enc='cp1252', malformed='4191419703;Short;Row', malformed_at=2)

# Seamless 2024 header, 145 columns, all quoted.
se = ["Research Date","Contact Full Name","First Name","Middle Name","Last Name","Title","Department","Seniority","Company Name","Company Name - Cleaned","Website","List","Primary Email","Intel","Contact LI Profile URL"]
for n in range(1, 11):
    se += [f"Email {n}", f"Email {n} Validation", f"Email {n} Total AI"]
se += ["Personal Email","Personal Email Validation","Personal Email Total AI"]
for n in (2, 3):
    se += [f"Personal Email {n}", f"Personal Email {n} Validation", f"Personal Email {n} Total AI"]
for n in range(1, 11):
    se += [f"Contact Phone {n}", f"Contact Phone {n} Total AI", f"Company Phone {n}", f"Company Phone {n} Total AI"]
se += ["Contact Location","Contact City","Contact State","Contact State Abbr","Contact Post Code","Contact County","Contact Country","Contact Country (Alpha 2)","Contact Country (Alpha 3)","Contact Country - Numeric","Company Location","Company Street 1","Company Street 2","Company Street 3","Company City","Company State","Company State Abbr","Company Post Code","Company County","Company Country","Company Country (Alpha 2)","Company Country (Alpha 3)","Company Country - Numeric","Company Annual Revenue","Company Description","Company Website Domain","Company Founded Date","Company Industry","Company LI Profile Url","Company LinkedIn ID","Company Revenue Range","Company Staff Count","Company Staff Count Range","Seamless Username","CRM & Social","CRM Account ID","Contact Location - City","Contact Location - Country","Contact Location - Country Alpha-2 Code","Contact Location - Country Alpha-3 Code","Contact Location - Country Numeric Code","Contact Location - State","Contact Location - State Abbreviation","Contact Location - ZIP","Contact Phone","Date Imported","First Name","Last Name","Lists","Location","leadSource"]
assert len(se) == 145, len(se)
def se_row(d, dup_first="", dup_last=""):
    full = [''] * len(se)
    for k, v in d.items():
        full[se.index(k)] = v
    full[len(se)-5] = dup_first
    full[len(se)-4] = dup_last
    return full
buf = io.StringIO()
w = csv.writer(buf, quoting=csv.QUOTE_ALL, lineterminator='\n')
w.writerow(se)
w.writerow(se_row({"Research Date":"2024-05-02","Contact Full Name":"Jane Doe","First Name":"Jane","Last Name":"Doe","Title":"Finance Director","Department":"Finance","Seniority":"Director","Company Name":"Example Co","Company Name - Cleaned":"Example","Website":"https://example.com","Primary Email":"jdoe@example.com","Intel":"https://login.seamless.ai/contact/699447129","Contact LI Profile URL":"https://www.linkedin.com/in/janedoe","Email 1":"jdoe@example.com","Email 1 Validation":"valid","Email 1 Total AI":"97%","Email 2":"jane@example.com","Email 2 Validation":"accept all","Contact Phone 1":"415.555.0101","Company Phone 1":"650.555.0200","Contact City":"San Francisco","Contact State":"California","Contact Post Code":"94107","Contact Country":"United States","Company Street 1":"1 Example Way","Company City":"Palo Alto","Company State":"California","Company Post Code":"94301","Company Country":"United States","Company Annual Revenue":"1000000001","Company Website Domain":"example.com","Company Founded Date":"2004","Company Industry":"Software Development","Company Revenue Range":"$1B+","Company Staff Count":"10001","Company Staff Count Range":"10,001+ employees","Seamless Username":"rep@ourco.com","Lists":"Q2 list"}, "Janet", "Doe-Smith"))
w.writerow(se_row({"Contact Full Name":"Luis García","First Name":"Luis","Last Name":"García","Title":"CTO","Seniority":"C-Level","Company Name":"Contoso SA","Primary Email":"","Intel":"https://login.seamless.ai/contact/700000001","Email 1":"lgarcia@contoso.es","Email 1 Validation":"do not mail","Email 1 Total AI":"41%","Contact Phone 1":"+34 91 555 0100","Contact City":"Madrid","Contact Country":"Spain","Company Staff Count Range":"201 - 500"}))
buf.write('"2024-05-03","Broken "quote" row","X"\n')
w.writerow(se_row({"Contact Full Name":"Mei Chen","First Name":"Mei","Last Name":"Chen","Title":"Marketing Manager","Company Name":"Tailspin Toys","Primary Email":"mei.chen@tailspintoys.com","Intel":"https://login.seamless.ai/contact/700000002","Email 1":"mei.chen@tailspintoys.com","Email 1 Validation":"accept all","Contact Country":"Singapore"}))
open("seamless.csv","w",encoding="utf-8").write(buf.getvalue())

# BookYourData: assumed aliases, comma CSV with BOM, one row with quoted newline, one malformed.
byd_h = ["Full Name","Title","Email","Phone","Mobile","Company","Website","Industry","Employee Size","Revenue","Address","City","State","Zip","Country","SIC"]
byd_rows = [
 {"Full Name":"Grace Tanaka","Title":"CEO","Email":"grace.tanaka@fabrikam.de","Phone":"+49 30 555 0100","Company":"Fabrikam GmbH","Website":"www.fabrikam.de","Industry":"Manufacturing","Employee Size":"201 - 500","Revenue":"$5M - $20M","Address":"146 High Street","City":"Berlin","Zip":"10115","Country":"Germany","SIC":"3599"},
 {"Full Name":"Bob McDonald","Title":"Operations Director","Email":"bob.mcdonald@northwind.co.uk","Phone":"N/A","Mobile":"+44 7700 900456","Company":"Northwind Traders Ltd","Website":"northwind.co.uk","Employee Size":"11-50","Address":"48 High Street\nUnit 2","City":"London","Country":"United Kingdom"},
 {"Full Name":"Ana Silva","Title":"Buyer","Email":"ana.silva@adventure-works.pt","Company":"Adventure Works","City":"Lisboa","Country":"Portugal"},
]
write_csv("bookyourdata.csv", byd_h, byd_rows, bom=True, malformed='"Bad Row","Buyer","only three"', malformed_at=2)

# LeadsBlue: the same assumed layout, tab-delimited.
lb_h = ["First Name","Last Name","Job Title","Email Address","Direct Phone","Company Name","Website","Industry","Employees","City","State","Zip","Country"]
lb_rows = [
 {"First Name":"Olivia","Last Name":"Brown","Job Title":"HR Manager","Email Address":"olivia.brown@woodgrove.com","Direct Phone":"(312) 555-0143","Company Name":"Woodgrove Bank","Website":"https://www.woodgrove.com","Industry":"Banking","Employees":"5000","City":"Chicago","State":"IL","Zip":"60601","Country":"USA"},
 {"First Name":"Noah","Last Name":"Wilson","Job Title":"IT Director","Email Address":"noah@litware.com","Company Name":"Litware Inc","Employees":"51-200","City":"Austin","State":"TX","Country":"USA"},
]
write_csv("leadsblue.csv", lb_h, lb_rows, delim='\t', malformed='Bad\tRow', malformed_at=1)

# UpLead: assumed API-like CSV header.
ul_h = ["First Name","Last Name","Title","Email","Email Status","Phone","Mobile Direct Dial","Company Name","Domain","Industry","City","State","Country","Management Level","Job Function"]
ul_rows = [
 {"First Name":"Jane","Last Name":"Doe","Title":"VP of Marketing","Email":"jane.doe@example.com","Email Status":"Valid","Phone":"+1 206-555-1000","Mobile Direct Dial":"+1 206-555-0100","Company Name":"Example Co","Domain":"example.com","Industry":"Retail","City":"Seattle","State":"WA","Country":"United States","Management Level":"VP","Job Function":"marketing"},
 {"First Name":"Sam","Last Name":"Park","Title":"Controller","Email":"sam.park@fourthcoffee.com","Email Status":"Accept All","Company Name":"Fourth Coffee","Domain":"fourthcoffee.com","Country":"United States"},
]
write_csv("uplead.csv", ul_h, ul_rows, malformed="Bad,\"Row", malformed_at=1)

# JSON samples: API response shapes, each with one malformed record.
apollo_json = '''{"pagination":{"page":1},"people":[
 {"id":"64a7ff0cc4dfae00013df1a5","first_name":"Jane","last_name":"Doe","name":"Jane Doe","title":"Founder & CEO","seniority":"founder","departments":["c_suite","master_engineering_technical"],"email":"jane@example.com","email_status":"verified","linkedin_url":"http://www.linkedin.com/in/janedoe","city":"San Francisco","state":"California","country":"United States",
  "phone_numbers":[{"raw_number":"(415) 555-0100","sanitized_number":"+14155550100","type":null,"position":0,"status":"valid_number"},{"raw_number":"(415) 555-0199","sanitized_number":"+14155550199","type":"mobile","position":1}],
  "organization":{"id":"5e66","name":"Example Co","primary_domain":"example.com","website_url":"http://www.example.com","estimated_num_employees":1600,"annual_revenue":100000000,"industry":"computer software","keywords":["saas","crm"],"technology_names":["Salesforce","Slack"],"current_technologies":[{"uid":"aws","name":"AWS","category":"Hosting"},{"uid":"slack","name":"Slack","category":"Chat"}],"street_address":"1 Market St","city":"San Francisco","state":"California","postal_code":"94105","country":"United States","phone":"+1 415-555-0000"}},
 {"id":"64a7ff0cc4dfae00013df1b7","first_name":"Ravi","last_name":"Kumar","title":"VP Sales" "email":"broken@example.com"},
 {"id":"64a7ff0cc4dfae00013df1c9","first_name":"Zoë","last_name":"Müller","title":"Head of IT","email":"zoe.mueller@fabrikam.de","email_status":"extrapolated","organization":{"name":"Fabrikam GmbH","primary_domain":"fabrikam.de"}}
]}
'''
open("apollo.json","w",encoding="utf-8").write(apollo_json)

zi_json = {"data":[
 {"id":"344589814","type":"Contact","attributes":{"firstName":"Jane","lastName":"Doe","email":"jane@example.com","phone":"+1 206-555-0142","mobilePhone":"+1 206-555-0199","jobTitle":"CFO","managementLevel":["C-Level"],"jobFunction":{"name":"Finance","department":"Finance"},"city":"Seattle","state":"Washington","country":"United States","externalUrls":[{"type":"twitter","url":"https://twitter.com/janedoe"},{"type":"linkedin.com","url":"https://www.linkedin.com/in/janedoe"}],"contactAccuracyScore":96,"directPhoneAlt":[{"value":"+1-360-555-1234","source":"waterfall"}],"company":{"id":346572700,"name":"Example Co","employeeCount":3508,"primaryIndustry":["Software"],"website":"www.example.com","revenue":"$400 Million","revenueNumeric":400000000}},"meta":{"matchStatus":"FULL_MATCH"}},
 {"id":"0","type":"NoMatch","meta":{"input":{"personId":0},"matchStatus":"NO_MATCH"}}]}
s = json.dumps(zi_json)
# malformed record inserted as the second element
s = s.replace('{"id": "0", "type": "NoMatch"', '{"id": "344589815", "attributes": {"firstName": "Bad", "lastName": }}, {"id": "0", "type": "NoMatch"')
open("zoominfo.json","w").write(s + "\n")

hunter_json = '''{"data":{"domain":"example.com","disposable":false,"webmail":false,"accept_all":false,"pattern":"{first}","organization":"Example Co","industry":"Software","headcount":"201-500","country":"US","city":"Boston","technologies":["hubspot","wordpress"],
 "emails":[
  {"value":"jane@example.com","type":"personal","confidence":94,"first_name":"Jane","last_name":"Doe","position":"CFO","seniority":"executive","department":"finance","linkedin":"https://www.linkedin.com/in/janedoe","twitter":null,"phone_number":null,"verification":{"date":"2026-01-05","status":"valid"},"sources":[{"domain":"example.com","uri":"http://example.com/team","extracted_on":"2025-06-09","last_seen_on":"2026-03-21","still_on_page":true}]},
  {"value":"john@example.com","type":"personal","confidence":71,"first_name":"John","last_name":"Roe","position":"Developer","seniority":"junior","department":"it","verification":{"date":null,"status":"accept_all"},"sources":[]},
  {"value":"info@example.com","type":"generic","confidence":91,"first_name":null,"verification":{"status":"webmail"}, "sources":[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["deep"]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}
 ]},"meta":{"results":3,"limit":10,"offset":0,"params":{"domain":"example.com"}}}
'''
open("hunter.json","w").write(hunter_json)

lusha_jsonl = [
 json.dumps({"clientReferenceId":"row-1","id":"c_123","firstName":"Jane","lastName":"Doe","jobTitle":{"title":"CEO","departments":["Executive","Management"],"seniority":"Executive"},"company":{"id":"co_9","name":"Example Co","domain":"example.com","companySize":[201,500],"revenueRange":[10000000,50000000],"technologies":[{"name":"HubSpot"},{"name":"Zendesk"}]},"location":{"country":"United States","state":"New York","city":"New York"},"socialLinks":{"linkedin":"https://www.linkedin.com/in/janedoe"},"emails":[{"email":"jane@example.com","type":"work","confidence":"A+"}],"phones":[{"number":"+1 212-555-0100","type":"direct"},{"number":"+1 917-555-0199","type":"mobile","doNotCall":False}]}),
 '{"clientReferenceId":"row-2","id":"c_124","firstName":"Trunc',
 json.dumps({"contact":{"error":None,"isCreditCharged":True,"data":{"personId":"p_77","firstName":"Hans","lastName":"Berg","emailAddresses":[{"address":"hans.berg@example.se","type":"work","emailConfidence":"B"}],"phoneNumbers":[{"number":"+46 70 123 45 67","phoneType":"Mobile"},{"number":"+46 8 555 0100","phoneType":"Direct"}],"location":{"country":"Sweden","country_iso2":"SE","city":"Stockholm"},"jobTitle":{"title":"CTO","seniority":"C-Level"},"socialLinks":{"linkedin":"https://www.linkedin.com/in/hansberg"},"company":{"name":"Exempel AB","fqdn":"example.se","companySize":[51,200]}}}}),
]
open("lusha.jsonl","w").write("\n".join(lusha_jsonl) + "\n")

rr = {"profiles":[
 {"id":12345,"status":"complete","name":"Jane Doe","current_title":"CISO","current_employer":"Example Co","current_employer_domain":"example.com","current_employer_id":987,"current_employer_website":"https://example.com","current_employer_industry":"Computer Software","linkedin_url":"https://www.linkedin.com/in/janedoe","location":"Boston, MA, US","city":"Boston","region":"MA","country_code":"US",
  "emails":[{"email":"jdoe@gmail.com","smtp_valid":"valid","type":"personal","grade":"A"},{"email":"jane.doe@example.com","smtp_valid":"accept-all","type":"professional","grade":"A-"}],
  "phones":[{"number":"617-555-0100","e164":"+16175550100","type":"direct dial"},{"number":"617-555-0199","e164":"+16175550199","type":"mobile"}]},
 {"id":12346,"status":"complete","name":"Ken Adams","current_title":"Buyer","current_employer":"Contoso","country_code":"CA","emails":[{"email":"ken@contoso.ca","smtp_valid":"valid","type":"professional","grade":"A"}]}],
 "pagination":{"start":1,"next":11,"total":57}}
s = json.dumps(rr, indent=1, ensure_ascii=False)
# one record with invalid UTF-8 (Windows-1252 é) and one truncated at the end
s = s.rstrip()
s = s[:s.rindex(']')]  # cut before the closing of profiles
s = s.rstrip() + ',\n {"id":12347,"name":"Ren\xe9e Caf\xe9","current_title":"Owner","current_employer":"Caf\xe9 Co"},\n {"id":12348,"name":"Cut Off","current_emp'
data = s.encode('utf-8')
data = data.replace('Renée Café'.encode('utf-8'), b'Ren\xe9e Caf\xe9').replace('"Café Co"'.encode('utf-8'), b'"Caf\xe9 Co"')
open("rocketreach.json","wb").write(data)

l411 = {"AllResults":[
 {"company_id":"123","employee_id":"456","json_meta":{
  "employee_meta":{"employee_name":"Jane Doe","title":"CFO","last_seen":"03-21-2026","email":"jane@example.com","email_result":"valid","employee_linkedin":"https://www.linkedin.com/in/janedoe","direct_dial":"N/A","mobile_dial":"Not Available"},
  "company_meta":{"company_name":"Example Co","company_URL":"https://www.example.com","number_of_employees":"250","yearly_revenues":"$25M","industry":"Financial Services","address1":"1 Federal St","city":"Boston","region_code":"MA","zip":"02110","company_country":"US","company_phone":"617-555-0000"}}},
 {"company_id":"124","employee_id":"457","json_meta":{"employee_meta":{"employee_name":"Pat Quinn","title":"Controller","email":"pat@litware.com","direct_dial":"512-555-0111"},"company_meta":{"company_name":"Litware Inc","company_URL":"https://litware.com"}}}]}
s = json.dumps(l411)
s = s.replace('https://', 'https:\\/\\/')
s = s.replace('{"company_id": "124"', '{"company_id": "bad", "employee_id": "x", "json_meta": {"employee_meta": {"employee_name": "Bad" ]}}, {"company_id": "124"')
open("lead411.json","w").write(s + "\n")

# LeadsBlue XLSX (valid rows), minimal workbook with shared and inline strings.
def xlsx(name, rows):
    shared = []
    def sidx(v):
        if v not in shared: shared.append(v)
        return shared.index(v)
    def col(i):
        s = ""
        i += 1
        while i:
            i, r = divmod(i - 1, 26)
            s = chr(65 + r) + s
        return s
    xml_rows = []
    for ri, row in enumerate(rows, start=1):
        cells = []
        for ci, v in enumerate(row):
            ref = f"{col(ci)}{ri}"
            if v is None or v == "":
                continue
            if isinstance(v, (int, float)):
                cells.append(f'<c r="{ref}"><v>{v}</v></c>')
            elif ci % 2 == 0:
                cells.append(f'<c r="{ref}" t="s"><v>{sidx(v)}</v></c>')
            else:
                from xml.sax.saxutils import escape
                cells.append(f'<c r="{ref}" t="inlineStr"><is><t>{escape(v)}</t></is></c>')
        xml_rows.append(f'<row r="{ri}">' + "".join(cells) + '</row>')
    from xml.sax.saxutils import escape
    sheet = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>' + "".join(xml_rows) + '</sheetData></worksheet>'
    sst = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">' + "".join(f'<si><t>{escape(s)}</t></si>' for s in shared) + '</sst>'
    wb = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Contacts" sheetId="1" r:id="rId1"/></sheets></workbook>'
    rels = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>'
    ct = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="xml" ContentType="application/xml"/></Types>'
    with zipfile.ZipFile(name, "w", zipfile.ZIP_DEFLATED) as z:
        for n, d in (("[Content_Types].xml", ct), ("xl/workbook.xml", wb), ("xl/_rels/workbook.xml.rels", rels), ("xl/sharedStrings.xml", sst), ("xl/worksheets/sheet1.xml", sheet)):
            zi = zipfile.ZipInfo(n, date_time=(2026, 11, 27, 0, 0, 0))
            zi.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(zi, d)
xlsx("leadsblue.xlsx", [
  ["First Name","Last Name","Job Title","Email Address","Direct Phone","Company Name","Website","Industry","Employees","City","State","Zip","Country"],
  ["Olivia","Brown","HR Manager","olivia.brown@woodgrove.com","(312) 555-0143","Woodgrove Bank","https://www.woodgrove.com","Banking",5000,"Chicago","IL","60601","USA"],
  [],
  ["Noah","Wilson","IT Director","noah@litware.com",13125550111,"Litware Inc","","", "51-200","Austin","TX","","USA"],
])
