package providersim

// The fixed word lists the generators draw from. They are functions returning
// fresh slices so that no package-level state can be mutated.

func firstNames() []string {
	return []string{
		"Ada", "Alan", "Alice", "Amir", "Ana", "Andre", "Anna", "Arjun", "Ava", "Ben",
		"Bianca", "Carlos", "Chen", "Chloe", "Chris", "Dana", "Daniel", "David", "Diego", "Elena",
		"Eli", "Emma", "Erik", "Eva", "Fatima", "Felix", "Fiona", "Gabriel", "Grace", "Hana",
		"Hannah", "Hugo", "Ian", "Ines", "Isaac", "Ivy", "Jack", "Jade", "James", "Jana",
		"Jonas", "Jose", "Julia", "Kai", "Kamal", "Kate", "Kenji", "Lara", "Leo", "Lena",
		"Liam", "Lina", "Lucas", "Lucy", "Maya", "Marco", "Maria", "Mateo", "Mia", "Mohamed",
		"Nadia", "Naomi", "Nina", "Noah", "Nora", "Oliver", "Olivia", "Omar", "Oscar", "Paula",
		"Pedro", "Priya", "Rafael", "Ravi", "Rosa", "Ruth", "Sam", "Sara", "Sofia", "Stefan",
		"Tariq", "Theo", "Tom", "Uma", "Victor", "Vera", "Wei", "Yara", "Yuki", "Zoe",
	}
}

func lastNames() []string {
	return []string{
		"Abbott", "Adams", "Ahmed", "Alvarez", "Andersen", "Bailey", "Baker", "Becker", "Brown", "Campbell",
		"Chen", "Clark", "Costa", "Cruz", "Das", "Davis", "Diaz", "Dubois", "Evans", "Fischer",
		"Fernandez", "Garcia", "Gomez", "Gonzalez", "Gupta", "Hall", "Hansen", "Harris", "Hernandez", "Hill",
		"Huang", "Ito", "Jackson", "Jansen", "Johnson", "Jones", "Kaur", "Khan", "Kim", "King",
		"Kowalski", "Kumar", "Lee", "Lewis", "Li", "Lopez", "Martin", "Martinez", "Meyer", "Miller",
		"Moore", "Morales", "Muller", "Murphy", "Nguyen", "Novak", "Okafor", "Olsen", "Patel", "Perez",
		"Petrov", "Popescu", "Quinn", "Ramos", "Reyes", "Rossi", "Sanchez", "Santos", "Schmidt", "Silva",
		"Singh", "Smith", "Suzuki", "Tanaka", "Taylor", "Thomas", "Torres", "Wagner", "Walker", "Wang",
		"Weber", "White", "Williams", "Wilson", "Wong", "Wright", "Yamamoto", "Young", "Zhang", "Zimmer",
	}
}

// department is a department with its share of the workforce and titles.
type department struct {
	name   string
	weight int
	titles []string
}

func departments() []department {
	return []department{
		{"Engineering", 32, []string{"Software Engineer", "Senior Software Engineer", "Staff Engineer", "Engineering Manager", "Site Reliability Engineer", "QA Engineer"}},
		{"Product", 7, []string{"Product Manager", "Senior Product Manager", "Director of Product"}},
		{"Design", 3, []string{"Product Designer", "UX Researcher", "Design Manager"}},
		{"Sales", 15, []string{"Account Executive", "Sales Development Representative", "Sales Engineer", "Sales Manager"}},
		{"Marketing", 7, []string{"Marketing Manager", "Content Strategist", "Growth Analyst"}},
		{"Customer Success", 11, []string{"Customer Success Manager", "Support Engineer", "Support Lead"}},
		{"Finance", 5, []string{"Accountant", "Financial Analyst", "Controller"}},
		{"People", 4, []string{"People Partner", "Recruiter", "People Operations Specialist"}},
		{"Legal", 2, []string{"Counsel", "Paralegal"}},
		{"IT", 5, []string{"IT Administrator", "IT Support Specialist", "Systems Engineer"}},
		{"Security", 4, []string{"Security Engineer", "Security Analyst", "CISO"}},
		{"Operations", 5, []string{"Operations Manager", "Business Analyst", "Office Manager"}},
	}
}

func locations() []string {
	return []string{"Berlin", "London", "New York", "San Francisco", "Singapore", "Sao Paulo", "Toronto", "Remote"}
}

func teamAdjectives() []string {
	return []string{"Amber", "Blue", "Bright", "Coral", "Crimson", "Golden", "Green", "Indigo", "Iron", "Jade",
		"Silver", "Swift", "Violet", "Quiet", "Bold", "Clear", "North", "South", "East", "West"}
}

func teamNouns() []string {
	return []string{"Falcons", "Foxes", "Otters", "Herons", "Lynx", "Orcas", "Owls", "Pandas", "Ravens", "Wolves",
		"Platform", "Payments", "Search", "Billing", "Growth", "Identity", "Mobile", "Data", "Infra", "Insights"}
}

// catalogApp is a well-known SaaS app: display name, key, domain and protocol.
type catalogApp struct {
	name, key, domain string
	signOn            SignOn
}

func appCatalog() []catalogApp {
	return []catalogApp{
		{"Slack", "slack", "slack.com", SignOnSAML},
		{"GitHub Enterprise", "github", "github.com", SignOnSAML},
		{"Google Workspace", "google", "google.com", SignOnSAML},
		{"Microsoft 365", "office365", "microsoft.com", SignOnPassword},
		{"Salesforce", "salesforce", "salesforce.com", SignOnSAML},
		{"Asana", "asana", "asana.com", SignOnOIDC},
		{"Zoom", "zoom", "zoom.us", SignOnSAML},
		{"Jira", "jira", "atlassian.net", SignOnSAML},
		{"Datadog", "datadog", "datadoghq.com", SignOnSAML},
		{"AWS IAM Identity Center", "aws", "aws.amazon.com", SignOnSAML},
		{"Company Wiki", "wiki", "", SignOnBookmark},
		{"1Password", "onepassword", "1password.com", SignOnOIDC},
		{"Confluence", "confluence", "atlassian.net", SignOnSAML},
		{"Workday", "workday", "workday.com", SignOnSAML},
		{"Box", "box", "box.com", SignOnSAML},
		{"Notion", "notion", "notion.so", SignOnSAML},
		{"Figma", "figma", "figma.com", SignOnSAML},
		{"Miro", "miro", "miro.com", SignOnSAML},
		{"Zendesk", "zendesk", "zendesk.com", SignOnSAML},
		{"HubSpot", "hubspot", "hubspot.com", SignOnSAML},
		{"DocuSign", "docusign", "docusign.net", SignOnSAML},
		{"PagerDuty", "pagerduty", "pagerduty.com", SignOnSAML},
		{"Snowflake", "snowflake", "snowflakecomputing.com", SignOnSAML},
		{"Tableau", "tableau", "tableau.com", SignOnSAML},
		{"ServiceNow", "servicenow", "service-now.com", SignOnSAML},
		{"Greenhouse", "greenhouse", "greenhouse.io", SignOnSAML},
		{"BambooHR", "bamboohr", "bamboohr.com", SignOnSAML},
		{"Expensify", "expensify", "expensify.com", SignOnSAML},
		{"Sentry", "sentry", "sentry.io", SignOnSAML},
		{"CircleCI", "circleci", "circleci.com", SignOnOIDC},
		{"Intercom", "intercom", "intercom.com", SignOnPassword},
		{"Gong", "gong", "gong.io", SignOnSAML},
		{"Lucid", "lucid", "lucid.app", SignOnSAML},
		{"Airtable", "airtable", "airtable.com", SignOnSAML},
		{"Loom", "loom", "loom.com", SignOnOIDC},
		{"Linear", "linear", "linear.app", SignOnOIDC},
		{"Cloudflare", "cloudflare", "cloudflare.com", SignOnSAML},
		{"Twilio", "twilio", "twilio.com", SignOnPassword},
		{"Amplitude", "amplitude", "amplitude.com", SignOnSAML},
		{"Benefits Portal", "benefits", "benefits-portal.example", SignOnBookmark},
	}
}

// shadowCatalog lists SaaS apps people sign into without the IdP.
func shadowCatalog() []catalogApp {
	return []catalogApp{
		{"ChatGPT", "chatgpt", "chatgpt.com", SignOnOIDC},
		{"Grammarly", "grammarly", "grammarly.com", SignOnOIDC},
		{"Otter.ai", "otter", "otter.ai", SignOnOIDC},
		{"Calendly", "calendly", "calendly.com", SignOnOIDC},
		{"Typeform", "typeform", "typeform.com", SignOnOIDC},
		{"Canva", "canva", "canva.com", SignOnOIDC},
		{"Trello", "trello", "trello.com", SignOnOIDC},
		{"Zapier", "zapier", "zapier.com", SignOnOIDC},
		{"Dropbox", "dropbox", "dropbox.com", SignOnOIDC},
		{"Mailchimp", "mailchimp", "mailchimp.com", SignOnOIDC},
		{"SurveyMonkey", "surveymonkey", "surveymonkey.com", SignOnOIDC},
		{"Smartsheet", "smartsheet", "smartsheet.com", SignOnOIDC},
	}
}

// oauthScopes are scope sets third-party apps ask for, from harmless to broad.
func oauthScopes() [][]string {
	return [][]string{
		{"openid", "email", "profile"},
		{"openid", "email", "profile", "https://www.googleapis.com/auth/calendar.readonly"},
		{"openid", "email", "https://www.googleapis.com/auth/drive.readonly"},
		{"openid", "email", "https://www.googleapis.com/auth/drive"},
		{"openid", "email", "https://mail.google.com/"},
		{"User.Read", "offline_access"},
		{"User.Read", "Files.Read.All", "offline_access"},
		{"User.Read", "Mail.ReadWrite", "offline_access"},
	}
}
