// The optional client registrations (Microsoft Graph Bicep, v1.0), each behind its own switch:
// - the OAuth front's upstream app: a Web redirect URI and a federated credential that trusts the
//   function app's user-assigned identity, so the front signs its client assertions with no secret;
// - a confidential gateway client holding both app roles (client credentials);
// - the client CLI's public client, with a loopback redirect.
extension microsoftGraphV1

@minLength(1)
param resourceToken string

@minLength(1)
param environmentName string

@minLength(36)
@maxLength(36)
param apiAppId string

@description('The API\'s delegated scope ids, by name (add, subtract).')
param scopeIds object

@description('The API\'s app role ids, by name (add, subtract).')
param roleIds object

@description('Object id of the API\'s service principal (the resource of the gateway\'s role assignments).')
param apiServicePrincipalId string

param multiTenant bool

@description('https://{host}/oauth/callback: the front sends the Host the browser used (docs/direct-clients.md).')
param frontRedirectUri string

@description('Object (principal) id of the function app\'s user-assigned identity: the federated credential\'s subject.')
param identityPrincipalId string

param enableOAuthFront bool
param createGatewayClient bool
param createCliClient bool

var signInAudience = multiTenant ? 'AzureADMultipleOrgs' : 'AzureADMyOrg'
var delegatedScopes = [
  {
    id: scopeIds.add
    type: 'Scope'
  }
  {
    id: scopeIds.subtract
    type: 'Scope'
  }
]

resource front 'Microsoft.Graph/applications@v1.0' = if (enableOAuthFront) {
  uniqueName: 'mcp-oauth-front-${resourceToken}'
  displayName: 'mcp-oauth-front (${environmentName})'
  signInAudience: signInAudience
  // A Web redirect URI: the front redeems the code server-side (AADSTS9002327 for SPA ones).
  web: {
    redirectUris: [
      frontRedirectUri
    ]
  }
  requiredResourceAccess: [
    {
      resourceAppId: apiAppId
      resourceAccess: delegatedScopes
    }
  ]
}

// "Configure an application to trust a managed identity" (Microsoft Entra workload identity):
// issuer the tenant's v2.0 authority, subject the identity's object id, audience the public
// cloud's token-exchange audience (the Graph Bicep extension deploys in the public cloud only).
resource frontTrustsIdentity 'Microsoft.Graph/applications/federatedIdentityCredentials@v1.0' = if (enableOAuthFront) {
  name: '${front.uniqueName}/function-app-identity'
  description: 'The function app\'s user-assigned identity signs the OAuth front\'s client assertions'
  issuer: '${environment().authentication.loginEndpoint}${tenant().tenantId}/v2.0'
  subject: identityPrincipalId
  audiences: [
    'api://AzureADTokenExchange'
  ]
}

resource frontServicePrincipal 'Microsoft.Graph/servicePrincipals@v1.0' = if (enableOAuthFront) {
  appId: front.appId
}

resource gateway 'Microsoft.Graph/applications@v1.0' = if (createGatewayClient) {
  uniqueName: 'mcp-gateway-client-${resourceToken}'
  displayName: 'mcp-gateway-client (${environmentName})'
  signInAudience: 'AzureADMyOrg'
  requiredResourceAccess: [
    {
      resourceAppId: apiAppId
      resourceAccess: [
        {
          id: roleIds.add
          type: 'Role'
        }
        {
          id: roleIds.subtract
          type: 'Role'
        }
      ]
    }
  ]
}

resource gatewayServicePrincipal 'Microsoft.Graph/servicePrincipals@v1.0' = if (createGatewayClient) {
  appId: gateway.appId
}

// Granting the roles is an admin consent: the deployer needs a role that may assign app roles
// (e.g. Privileged Role Administrator, or AppRoleAssignment.ReadWrite.All), else this step fails.
resource gatewayMayAdd 'Microsoft.Graph/appRoleAssignedTo@v1.0' = if (createGatewayClient) {
  principalId: gatewayServicePrincipal.id
  resourceId: apiServicePrincipalId
  appRoleId: roleIds.add
}

resource gatewayMaySubtract 'Microsoft.Graph/appRoleAssignedTo@v1.0' = if (createGatewayClient) {
  principalId: gatewayServicePrincipal.id
  resourceId: apiServicePrincipalId
  appRoleId: roleIds.subtract
}

resource cli 'Microsoft.Graph/applications@v1.0' = if (createCliClient) {
  uniqueName: 'mcp-calculator-cli-${resourceToken}'
  displayName: 'mcp-calculator-cli (${environmentName})'
  signInAudience: signInAudience
  // A native app on a loopback redirect (RFC 8252 §7.3); Entra ignores the port of
  // http://localhost for public clients ("Redirect URI restrictions", Microsoft identity platform).
  isFallbackPublicClient: true
  publicClient: {
    redirectUris: [
      'http://localhost'
    ]
  }
  requiredResourceAccess: [
    {
      resourceAppId: apiAppId
      resourceAccess: delegatedScopes
    }
  ]
}

resource cliServicePrincipal 'Microsoft.Graph/servicePrincipals@v1.0' = if (createCliClient) {
  appId: cli.appId
}

output frontAppId string = enableOAuthFront ? front.appId : ''
output gatewayAppId string = createGatewayClient ? gateway.appId : ''
output cliAppId string = createCliClient ? cli.appId : ''
// The front and the CLI ask for the API's scopes on a user's behalf; pre-authorizing them spares
// each user a consent prompt for the API in this tenant.
output preAuthorizedClientIds array = concat(enableOAuthFront ? [
  front.appId
] : [], createCliClient ? [
  cli.appId
] : [])
