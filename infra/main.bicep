// azd's entry point (`azd up`, `azd down`): one resource group holding every Azure resource, so
// `azd down` deletes them together, and the Entra app registrations (Microsoft Graph Bicep).
// Plain resource declarations only, no registry modules: infra/README.md says why.
targetScope = 'subscription'

@minLength(1)
@maxLength(40)
@description('The azd environment name (AZURE_ENV_NAME): names the resource group and seeds every resource name.')
param environmentName string

// Regions that offer the Flex Consumption plan (FC1). Flex hosts Python 3.11 in each of them;
// a region outside this list is refused here, before anything is created, because a Flex app
// cannot be created there. The list is Microsoft's Flex Consumption quickstart's (Azure-Samples,
// functions-quickstart-python-http-azd), less its canary region. Re-check it, signed in: the
// regions that offer Python on Flex, then the Python versions of one region:
//   az functionapp list-flexconsumption-locations --runtime python --query "[].name" -o tsv
//   az functionapp list-flexconsumption-runtimes --location westeurope --runtime python -o table
@description('Azure region. Only regions where Flex Consumption offers Python 3.11 are accepted.')
@allowed([
  'australiaeast'
  'australiasoutheast'
  'brazilsouth'
  'canadacentral'
  'centralindia'
  'centralus'
  'eastasia'
  'eastus'
  'eastus2'
  'francecentral'
  'germanywestcentral'
  'italynorth'
  'japaneast'
  'koreacentral'
  'northcentralus'
  'northeurope'
  'norwayeast'
  'southafricanorth'
  'southcentralus'
  'southeastasia'
  'southindia'
  'spaincentral'
  'swedencentral'
  'uaenorth'
  'uksouth'
  'ukwest'
  'westcentralus'
  'westeurope'
  'westus'
  'westus2'
  'westus3'
])
@metadata({
  azd: {
    type: 'location'
  }
})
param location string

@description('Object id of whoever runs azd (azd sets AZURE_PRINCIPAL_ID). It gets Key Vault Secrets Officer on the vault, so the postprovision hook can write the sealing keys. Empty: no role, and the hook cannot write them.')
@maxLength(36)
param principalId string = ''

@description('What principalId is: User for a person, ServicePrincipal for a pipeline.')
@allowed([
  'User'
  'ServicePrincipal'
])
param principalType string = 'User'

@description('The OAuth front (OAUTH_FRONT=on): creates its upstream app registration, the federated credential that trusts the function app\'s identity, and the sealing keys in Key Vault.')
param enableOAuthFront bool = false

@description('Multi-tenant API: comma-separated customer tenant ids, or * for any work or school tenant (OAUTH_ALLOWED_TENANTS). Empty: this tenant only. The app refuses to start on a malformed entry, naming it.')
@maxLength(4000)
param allowedTenants string = ''

@description('Browser origins allowed to call /mcp, comma-separated https://host[:port] (MCP_ALLOWED_ORIGINS). Empty for gateways and native clients.')
@maxLength(4000)
param allowedOrigins string = ''

@description('What tools/list shows a caller (MCP_TOOLS_LISTED): callable, only the tools its token may call; all, every tool, so that a client which calls only listed tools meets the 403 that starts step-up (docs/architecture.md, "What tools/list shows").')
@allowed([
  'callable'
  'all'
])
param toolsListed string = 'callable'

@description('Caller kinds refused every tool or one tool, comma-separated kind or kind:tool (MCP_REFUSED_CALLERS; docs/downstream.md). Empty: none refused. The app refuses to start on an unknown kind or tool, naming it.')
@maxLength(4000)
param refusedCallers string = ''

@description('Record the caller\'s oid (a person\'s object id) on the edge span (MCP_TELEMETRY_RECORD_USER_ID). Off by default: personal data (docs/operations.md, "The oid decision").')
param recordUserId bool = false

@description('Make the MCP URL (https://{host}/mcp) the API app\'s first identifier URI, before api://{client id}, so clients that send RFC 8707 resource=<MCP URL> match it. Ignored for a multi-tenant API (it needs a verified domain). Set false if the tenant\'s app management policy refuses it.')
param mcpUrlAsIdentifierUri bool = true

@description('Create a confidential client for a gateway (client credentials: it gets both app roles; add its credential yourself).')
param createGatewayClient bool = false

@description('Create the public client that the repository\'s client CLI signs in with (loopback redirect http://localhost).')
param createCliClient bool = false

@description('Maximum instances of the Flex plan (40 to 1000).')
@minValue(40)
@maxValue(1000)
param maximumInstanceCount int = 100

@description('Memory of each instance in MB (Flex offers 512, 2048 and 4096).')
@allowed([
  512
  2048
  4096
])
param instanceMemoryMB int = 2048

var tags = {
  'azd-env-name': environmentName
}
// Lower-case and short enough for every resource's naming rule (storage: 3-24 letters and digits).
var resourceToken = toLower(uniqueString(subscription().id, environmentName, location))

resource rg 'Microsoft.Resources/resourceGroups@2024-03-01' = {
  name: 'rg-${environmentName}'
  location: location
  tags: tags
}

// 1. The API's app registration, without identifier URIs: its client id exists only once it is created.
module api 'modules/entra-api.bicep' = {
  name: 'entra-api'
  scope: rg
  params: {
    uniqueName: 'mcp-calculator-api-${resourceToken}'
    displayName: 'mcp-calculator-api (${environmentName})'
    multiTenant: !empty(allowedTenants)
    identifierUris: []
    preAuthorizedClientIds: []
  }
}

// 2. Identity, storage, monitoring, Key Vault, the plan and the function app (no app settings yet).
module app 'modules/app.bicep' = {
  name: 'app'
  scope: rg
  params: {
    location: location
    tags: tags
    resourceToken: resourceToken
    principalId: principalId
    principalType: principalType
    maximumInstanceCount: maximumInstanceCount
    instanceMemoryMB: instanceMemoryMB
    enableOAuthFront: enableOAuthFront
  }
}

var mcpUrl = 'https://${app.outputs.defaultHostName}/mcp'
// The MCP URL first, so it names the advertised scopes and matches the `resource` MCP clients send
// (RFC 8707; Microsoft's "Secure a Model Context Protocol server with Microsoft Entra ID"). A
// multi-tenant API's identifier URIs need a verified domain, which *.azurewebsites.net is not
// ("Restrictions on identifier URIs of Microsoft Entra applications"): there, api://{client id} only.
var mcpUrlOnApi = mcpUrlAsIdentifierUri && empty(allowedTenants)

// 3. The optional clients, which need the API's scope ids, the app's host and its identity.
module clients 'modules/entra-clients.bicep' = {
  name: 'entra-clients'
  scope: rg
  params: {
    resourceToken: resourceToken
    environmentName: environmentName
    apiAppId: api.outputs.appId
    scopeIds: api.outputs.scopeIds
    roleIds: api.outputs.roleIds
    apiServicePrincipalId: api.outputs.servicePrincipalId
    multiTenant: !empty(allowedTenants)
    frontRedirectUri: 'https://${app.outputs.defaultHostName}/oauth/callback'
    identityPrincipalId: app.outputs.identityPrincipalId
    enableOAuthFront: enableOAuthFront
    createGatewayClient: createGatewayClient
    createCliClient: createCliClient
  }
}

// 4. The same API app again, now with its identifier URIs and pre-authorized clients. Its client id
// is known only after step 1, and Microsoft's MCP guidance sets requestedAccessTokenVersion 2
// before an https identifier URI is added: step 1 did that.
module apiUris 'modules/entra-api.bicep' = {
  name: 'entra-api-identifier-uris'
  scope: rg
  params: {
    uniqueName: 'mcp-calculator-api-${resourceToken}'
    displayName: 'mcp-calculator-api (${environmentName})'
    multiTenant: !empty(allowedTenants)
    identifierUris: concat(mcpUrlOnApi ? [
      mcpUrl
    ] : [], [
      'api://${api.outputs.appId}'
    ])
    preAuthorizedClientIds: clients.outputs.preAuthorizedClientIds
  }
}

// 5. The app settings: exactly those the server reads (tests/infra/test_app_settings.py checks).
module settings 'modules/app-settings.bicep' = {
  name: 'app-settings'
  scope: rg
  params: {
    functionAppName: app.outputs.functionAppName
    storageAccountName: app.outputs.storageAccountName
    tableEndpoint: app.outputs.tableEndpoint
    identityClientId: app.outputs.identityClientId
    applicationInsightsConnectionString: app.outputs.applicationInsightsConnectionString
    keyVaultUri: app.outputs.keyVaultUri
    sealingKeysSecretName: app.outputs.sealingKeysSecretName
    apiAppId: api.outputs.appId
    identifierUris: apiUris.outputs.identifierUris
    mcpUrl: mcpUrl
    allowedTenants: allowedTenants
    allowedOrigins: allowedOrigins
    refusedCallers: refusedCallers
    toolsListed: toolsListed
    recordUserId: recordUserId
    enableOAuthFront: enableOAuthFront
    frontAppId: clients.outputs.frontAppId
  }
}

// azd stores these in the environment (.azure/<env>/.env); the hooks read them. No secrets here.
output AZURE_LOCATION string = location
output AZURE_TENANT_ID string = tenant().tenantId
output AZURE_RESOURCE_GROUP string = rg.name
output AZURE_FUNCTION_APP_NAME string = app.outputs.functionAppName
output AZURE_KEY_VAULT_NAME string = app.outputs.keyVaultName
output OAUTH_FRONT_SEALING_KEYS_SECRET string = app.outputs.sealingKeysSecretName
output OAUTH_FRONT_ENABLED bool = enableOAuthFront
output API_APP_ID string = api.outputs.appId
output FRONT_APP_ID string = clients.outputs.frontAppId
output GATEWAY_APP_ID string = clients.outputs.gatewayAppId
output CLI_APP_ID string = clients.outputs.cliAppId
output MCP_URL string = mcpUrl
