// The function app's settings: the platform's own, and exactly those that Settings.from_env
// (auth/settings.py), FrontSettings.from_env (front/settings.py) and TelemetrySettings.from_env
// (telemetry/settings.py) read; nothing else. The on-behalf-of example (OBO_*) stays off.
// tests/infra/test_app_settings.py compares the names with the code's. One object literal, so the
// names are plain to see and to check. An empty value is how the code reads "not set".

@minLength(1)
param functionAppName string

@minLength(3)
param storageAccountName string

@description('https://{account}.table.core.windows.net/: the front\'s refresh-token store.')
@minLength(1)
param tableEndpoint string

@minLength(36)
@maxLength(36)
param identityClientId string

@minLength(1)
param applicationInsightsConnectionString string

@description('https://{vault}.vault.azure.net/ (with its trailing slash).')
param keyVaultUri string

@description('The Key Vault secret holding the comma-separated Fernet keys, the first sealing.')
@minLength(1)
param sealingKeysSecretName string

@minLength(36)
@maxLength(36)
param apiAppId string

@minLength(1)
param identifierUris array

@description('https://{host}/mcp')
param mcpUrl string

@maxLength(4000)
param allowedTenants string

@maxLength(4000)
param allowedOrigins string

@maxLength(4000)
param refusedCallers string

param recordUserId bool

@allowed([
  'callable'
  'all'
])
param toolsListed string

param enableOAuthFront bool

@description('The front\'s upstream client id; empty when the front is off.')
param frontAppId string

// Single tenant: this tenant's v2.0 issuer. Multi-tenant: the `organizations` authority, which
// Settings.from_env requires beside OAUTH_ALLOWED_TENANTS ("Access token claims reference: iss").
var authority = environment().authentication.loginEndpoint
var issuerTenant = empty(allowedTenants) ? tenant().tenantId : 'organizations'

resource functionApp 'Microsoft.Web/sites@2024-11-01' existing = {
  name: functionAppName
}

resource appSettings 'Microsoft.Web/sites/config@2024-11-01' = {
  //checkov:skip=CKV_AZURE_13:EasyAuth is off on purpose (app.bicep, authsettingsV2); this resource is the app settings
  //checkov:skip=CKV_AZURE_63:Reads the web config (siteConfig); this resource is the app settings, which have no such property
  //checkov:skip=CKV_AZURE_65:Reads the web config (siteConfig); this resource is the app settings, which have no such property
  //checkov:skip=CKV_AZURE_66:Reads the web config (siteConfig); this resource is the app settings, which have no such property
  parent: functionApp
  //checkov:skip=CKV_AZURE_80:Reads the web config (siteConfig); this resource is the app settings, which have no such property
  //checkov:skip=CKV_AZURE_88:Reads the web config (siteConfig); this resource is the app settings, which have no such property
  //checkov:skip=CKV_AZURE_222:Reads the web config (siteConfig); this resource is the app settings, which have no such property
  name: 'appsettings'
  properties: {
    // The platform's. On Flex Consumption the runtime and its version live in functionAppConfig,
    // so FUNCTIONS_WORKER_RUNTIME and FUNCTIONS_EXTENSION_VERSION are not set (Flex refuses them).
    // Host storage through the user-assigned identity, no connection string ("Connecting to host
    // storage with an identity", Azure Functions identity-based connections).
    AzureWebJobsStorage__accountName: storageAccountName
    AzureWebJobsStorage__credential: 'managedidentity'
    AzureWebJobsStorage__clientId: identityClientId
    APPLICATIONINSIGHTS_CONNECTION_STRING: applicationInsightsConnectionString
    // Entra-authenticated ingestion as the same identity (the component has DisableLocalAuth).
    APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'ClientId=${identityClientId};Authorization=AAD'
    // Issue 16, 4.8: on Python <= 3.12 the worker's own packages (azure-functions, protobuf...)
    // load before the app's unless this is 1; with 1 the pins of requirements.txt that the tests
    // ran load first (Azure Functions app settings reference; Python worker wiki, "Python Packages
    // Loading Order and Sys Path"). No effect from 3.13, which always isolates them.
    PYTHON_ISOLATE_WORKER_DEPENDENCIES: '1'

    // Settings.from_env (auth/settings.py). Left to the code's defaults, so not set:
    // OAUTH_SCOPE_PREFIX ({first App ID URI}/) and OAUTH_METADATA_URL ({issuer}/.well-known/...).
    OAUTH_ISSUER: '${authority}${issuerTenant}/v2.0'
    OAUTH_AUDIENCE: apiAppId
    OAUTH_JWKS_URI: '${authority}${issuerTenant}/discovery/v2.0/keys'
    // In the API's order: the first (the MCP URL, when it is one) names the advertised scopes.
    OAUTH_APP_ID_URI: join(identifierUris, ',')
    MCP_PUBLIC_URL: mcpUrl
    OAUTH_ALLOWED_TENANTS: allowedTenants
    MCP_ALLOWED_ORIGINS: allowedOrigins
    // Kept in the template, not added by hand: this resource replaces the app's whole set of settings
    // on every `azd provision`, so a setting set outside it would be dropped by the next one.
    MCP_REFUSED_CALLERS: refusedCallers
    MCP_TOOLS_LISTED: toolsListed

    // TelemetrySettings.from_env (telemetry/settings.py): APPLICATIONINSIGHTS_CONNECTION_STRING
    // above turns telemetry on; a person's oid only when the operator opts in (docs/operations.md).
    // Not set: the OTLP endpoints (Application Insights receives it all), OTEL_SDK_DISABLED and the
    // console exporter (local development).
    MCP_TELEMETRY_RECORD_USER_ID: recordUserId ? 'on' : ''

    // FrontSettings.from_env (front/settings.py); not set: the client secret (a federated
    // credential instead), the endpoints (from the issuer), the assertion audience, the refresh
    // window and dev mode: the defaults, for the reasons tests/infra/test_app_settings.py gives.
    // OAUTH_FRONT empty rather than 'off': function_app.py then never imports the front.
    OAUTH_FRONT: enableOAuthFront ? 'on' : ''
    OAUTH_FRONT_CLIENT_ID: enableOAuthFront ? frontAppId : ''
    OAUTH_FRONT_MANAGED_IDENTITY_CLIENT_ID: enableOAuthFront ? identityClientId : ''
    // A Key Vault reference, resolved by the platform as keyVaultReferenceIdentity; no version, so
    // the latest secret version is read (within 24 hours, or at once on a restart).
    OAUTH_FRONT_SEALING_KEYS: enableOAuthFront ? '@Microsoft.KeyVault(SecretUri=${keyVaultUri}secrets/${sealingKeysSecretName})' : ''
    // Refresh-token reuse detection and revocation, in the account's table service, as the identity.
    OAUTH_FRONT_TOKEN_STORE: enableOAuthFront ? tableEndpoint : ''
  }
}
