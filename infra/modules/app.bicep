// Everything the function app runs on: its user-assigned identity, storage reached through that
// identity (shared keys off), the deployment container, Log Analytics, Application Insights and its workbook,
// the Key Vault holding the OAuth front's sealing keys, the Flex Consumption plan and the app.
// The app settings are set in app-settings.bicep, once the Entra registrations exist.

@minLength(1)
param location string

param tags object

@minLength(13)
@maxLength(13)
param resourceToken string

@maxLength(36)
param principalId string

@allowed([
  'User'
  'ServicePrincipal'
])
param principalType string

@minValue(40)
@maxValue(1000)
param maximumInstanceCount int

@description('The OAuth front is on: its identity may read and write the refresh-token table.')
param enableOAuthFront bool

@allowed([
  512
  2048
  4096
])
param instanceMemoryMB int

var functionAppName = 'func-mcp-${resourceToken}'
var deploymentContainerName = 'app-package'
// The Key Vault secret the app reads OAUTH_FRONT_SEALING_KEYS from; the postprovision hook writes it.
var sealingKeysSecretName = 'oauth-front-sealing-keys'

// Built-in role ids ("Azure built-in roles", Microsoft Learn).
var storageBlobDataOwner = 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b'
var storageTableDataContributor = '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3'
var monitoringMetricsPublisher = '3913510d-42f4-4e42-8a64-420c390055eb'
var keyVaultSecretsUser = '4633458b-17de-408a-b874-0445c86b69e6'
var keyVaultSecretsOfficer = 'b86a8fe4-44ce-4948-aee5-eccb2c155cd7'

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2024-11-30' = {
  name: 'id-mcp-${resourceToken}'
  location: location
  tags: tags
}

resource storage 'Microsoft.Storage/storageAccounts@2025-01-01' = {
  name: 'stmcp${resourceToken}'
  //checkov:skip=CKV_AZURE_35:Network rules need a virtual network for the Flex app, which this template has none of (infra/README.md); shared keys are off, so only Entra identities holding a role get in
  //checkov:skip=CKV_AZURE_59:Public network access stays on for the same reason as CKV_AZURE_35
  location: location
  //checkov:skip=CKV_AZURE_206:LRS: the account holds only the host's leases and the deployment package, which azd deploy recreates
  //checkov:skip=CKV_AZURE_43:The name is 'stmcp' and uniqueString(), 18 lower-case letters and digits; the check cannot evaluate the interpolation
  tags: tags
  kind: 'StorageV2'
  sku: {
    name: 'Standard_LRS'
  }
  properties: {
    // Identity-based connections only: the host (AzureWebJobsStorage__*) and the deployment both
    // authenticate as the user-assigned identity ("Flex Consumption plan hosting", Microsoft Learn).
    allowSharedKeyAccess: false
    defaultToOAuthAuthentication: true
    allowBlobPublicAccess: false
    allowCrossTenantReplication: false
    supportsHttpsTrafficOnly: true
    minimumTlsVersion: 'TLS1_2'
    publicNetworkAccess: 'Enabled'
    networkAcls: {
      defaultAction: 'Allow'
      bypass: 'AzureServices'
    }
  }
}

resource blobService 'Microsoft.Storage/storageAccounts/blobServices@2025-01-01' = {
  parent: storage
  name: 'default'
  properties: {
    deleteRetentionPolicy: {
      enabled: true
      days: 7
    }
    containerDeleteRetentionPolicy: {
      enabled: true
      days: 7
    }
  }
}

// Flex Consumption deploys from a blob container that the app reads with its identity.
resource deploymentContainer 'Microsoft.Storage/storageAccounts/blobServices/containers@2025-01-01' = {
  parent: blobService
  name: deploymentContainerName
  properties: {
    publicAccess: 'None'
  }
}

resource logAnalytics 'Microsoft.OperationalInsights/workspaces@2023-09-01' = {
  name: 'log-mcp-${resourceToken}'
  location: location
  tags: tags
  properties: {
    sku: {
      name: 'PerGB2018'
    }
    retentionInDays: 30
  }
}

resource applicationInsights 'Microsoft.Insights/components@2020-02-02' = {
  name: 'appi-mcp-${resourceToken}'
  location: location
  tags: tags
  kind: 'web'
  properties: {
    Application_Type: 'web'
    WorkspaceResourceId: logAnalytics.id
    // Entra-authenticated ingestion only: the app sends as its identity, with
    // APPLICATIONINSIGHTS_AUTHENTICATION_STRING ("Microsoft Entra authentication for Application
    // Insights", Microsoft Learn); the instrumentation key alone can no longer write.
    DisableLocalAuth: true
  }
}

// The operations workbook (docs/operations.md, "The workbook"): the four Kusto queries as charts,
// shared and listed under the component's Workbooks. Its JSON is monitoring/workbook.json, read at
// compile time; tests/telemetry/test_workbook.py keeps it and the doc in step. A workbook's name must
// be a GUID: derived from the component, so a second `azd up` updates the same workbook.
resource workbook 'Microsoft.Insights/workbooks@2023-06-01' = {
  name: guid(applicationInsights.id, 'mcp-operations-workbook')
  location: location
  tags: tags
  kind: 'shared'
  properties: {
    displayName: 'MCP server: auth, tools and clients'
    category: 'workbook'
    version: 'Notebook/1.0'
    serializedData: loadTextContent('../../monitoring/workbook.json')
    sourceId: applicationInsights.id
  }
}

resource keyVault 'Microsoft.KeyVault/vaults@2024-11-01' = {
  name: 'kv-mcp-${resourceToken}'
  //checkov:skip=CKV_AZURE_110:Purge protection is off so that `azd down --purge` can delete the vault and free its name; soft delete (7 days) is on
  //checkov:skip=CKV_AZURE_42:Recoverable means soft delete and purge protection; soft delete is on, purge protection off as for CKV_AZURE_110
  location: location
  //checkov:skip=CKV_AZURE_109:A firewall needs a virtual network: the Flex app resolves Key Vault references over the public endpoint; access is by Azure RBAC only
  //checkov:skip=CKV_AZURE_189:Public network access stays on for the same reason as CKV_AZURE_109
  tags: tags
  properties: {
    tenantId: tenant().tenantId
    sku: {
      family: 'A'
      name: 'standard'
    }
    // Azure RBAC, not access policies: the app's identity reads, the deployer writes.
    enableRbacAuthorization: true
    enableSoftDelete: true
    softDeleteRetentionInDays: 7
    publicNetworkAccess: 'Enabled'
  }
}

resource plan 'Microsoft.Web/serverfarms@2024-11-01' = {
  name: 'plan-mcp-${resourceToken}'
  //checkov:skip=CKV_AZURE_225:Zone redundancy is a cost choice, offered for Flex Consumption in some regions only; a redeploy recreates the app anywhere
  location: location
  tags: tags
  kind: 'functionapp'
  // Flex Consumption: Microsoft's recommended serverless plan; Linux Consumption retires on
  // 30 September 2028 ("Azure Functions hosting options", Microsoft Learn).
  sku: {
    name: 'FC1'
    tier: 'FlexConsumption'
  }
  properties: {
    reserved: true
  }
}

resource functionApp 'Microsoft.Web/sites@2024-11-01' = {
  name: functionAppName
  //checkov:skip=CKV_AZURE_222:The MCP endpoint is public by design: every request carries an OAuth access token that the server validates
  //checkov:skip=CKV_AZURE_17:Clients authenticate with OAuth bearer tokens, not TLS client certificates (MCP authorization spec)
  location: location
  // azd finds the app to deploy `api` to by this tag.
  tags: union(tags, {
    'azd-service-name': 'api'
  })
  //checkov:skip=CKV_AZURE_212:Flex Consumption scales from zero per request; a minimum instance count would keep instances, and their cost, running
  //checkov:skip=CKV_AZURE_213:No health-check ping: on a plan that scales to zero it would keep an instance awake; the postdeploy doctor checks the endpoint
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${identity.id}': {}
    }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    // Key Vault references (OAUTH_FRONT_SEALING_KEYS) resolve as the user-assigned identity
    // ("Use Key Vault references as app settings", Microsoft Learn).
    keyVaultReferenceIdentity: identity.id
    siteConfig: {
      minTlsVersion: '1.2'
      scmMinTlsVersion: '1.2'
      ftpsState: 'Disabled'
      http20Enabled: true
    }
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: '${storage.properties.primaryEndpoints.blob}${deploymentContainerName}'
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: identity.id
          }
        }
      }
      scaleAndConcurrency: {
        maximumInstanceCount: maximumInstanceCount
        instanceMemoryMB: instanceMemoryMB
      }
      // Python 3.11: the version requirements.txt is pinned and tested on; azure-functions 1.x
      // needs Python < 3.13 (2.x needs >= 3.13); 3.11 reaches end of support in October 2027.
      runtime: {
        name: 'python'
        version: '3.11'
      }
    }
  }
}

// App Service Authentication (EasyAuth) explicitly off: the code validates every bearer token,
// and EasyAuth would redirect or reject the unauthenticated discovery requests clients start with.
resource authSettings 'Microsoft.Web/sites/config@2024-11-01' = {
  //checkov:skip=CKV_AZURE_13:EasyAuth is off on purpose: the server validates every bearer token itself, and EasyAuth would redirect the unauthenticated discovery requests clients start with
  //checkov:skip=CKV_AZURE_56:EasyAuth is off on purpose, as for CKV_AZURE_13
  //checkov:skip=CKV_AZURE_63:Reads the web config (siteConfig); this resource is the authentication config (authsettingsV2), which has no such property
  //checkov:skip=CKV_AZURE_65:Reads the web config (siteConfig); this resource is the authentication config (authsettingsV2), which has no such property
  parent: functionApp
  //checkov:skip=CKV_AZURE_66:Reads the web config (siteConfig); this resource is the authentication config (authsettingsV2), which has no such property
  //checkov:skip=CKV_AZURE_80:Reads the web config (siteConfig); this resource is the authentication config (authsettingsV2), which has no such property
  //checkov:skip=CKV_AZURE_88:Reads the web config (siteConfig); this resource is the authentication config (authsettingsV2), which has no such property
  //checkov:skip=CKV_AZURE_222:Reads the web config (siteConfig); this resource is the authentication config (authsettingsV2), which has no such property
  name: 'authsettingsV2'
  properties: {
    platform: {
      enabled: false
    }
    globalValidation: {
      requireAuthentication: false
      unauthenticatedClientAction: 'AllowAnonymous'
    }
  }
}

// No basic (publishing) credentials: azd and Core Tools deploy to Flex with Entra tokens.
resource ftpCredentials 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-11-01' = {
  parent: functionApp
  name: 'ftp'
  properties: {
    allow: false
  }
}

resource scmCredentials 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-11-01' = {
  parent: functionApp
  name: 'scm'
  properties: {
    allow: false
  }
}

// The host's storage and the deployment container ("Connecting to host storage with an identity").
resource identityOwnsBlobs 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storage.id, identity.id, storageBlobDataOwner)
  scope: storage
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', storageBlobDataOwner)
    principalId: identity.properties.principalId
    principalType: 'ServicePrincipal'
  }
}

// The OAuth front's refresh-token store (OAUTH_FRONT_TOKEN_STORE): reuse detection and revocation
// in a table of the same account, reached as the identity, no key (docs/direct-clients.md).
resource identityWritesTokenTable 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (enableOAuthFront) {
  name: guid(storage.id, identity.id, storageTableDataContributor)
  scope: storage
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', storageTableDataContributor)
    principalId: identity.properties.principalId
    principalType: 'ServicePrincipal'
  }
}

// Entra-authenticated telemetry ingestion.
resource identityPublishesTelemetry 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(applicationInsights.id, identity.id, monitoringMetricsPublisher)
  scope: applicationInsights
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', monitoringMetricsPublisher)
    principalId: identity.properties.principalId
    principalType: 'ServicePrincipal'
  }
}

// The app reads the sealing keys through a Key Vault reference.
resource identityReadsSecrets 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(keyVault.id, identity.id, keyVaultSecretsUser)
  scope: keyVault
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', keyVaultSecretsUser)
    principalId: identity.properties.principalId
    principalType: 'ServicePrincipal'
  }
}

// The deployer writes them (postprovision hook) and rotates them (infra/README.md).
resource deployerWritesSecrets 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (!empty(principalId)) {
  name: guid(keyVault.id, principalId, keyVaultSecretsOfficer)
  scope: keyVault
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', keyVaultSecretsOfficer)
    principalId: principalId
    principalType: principalType
  }
}

output functionAppName string = functionApp.name
output defaultHostName string = functionApp.properties.defaultHostName
output identityPrincipalId string = identity.properties.principalId
output identityClientId string = identity.properties.clientId
output storageAccountName string = storage.name
output tableEndpoint string = storage.properties.primaryEndpoints.table
output applicationInsightsConnectionString string = applicationInsights.properties.ConnectionString
output keyVaultName string = keyVault.name
output keyVaultUri string = keyVault.properties.vaultUri
output sealingKeysSecretName string = sealingKeysSecretName
