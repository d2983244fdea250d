FROM node:20-bookworm-slim
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev
COPY bin ./bin
COPY src ./src
COPY deploy ./deploy
ENTRYPOINT ["node", "bin/roomgate.js"]
CMD ["start", "--config", "deploy/roomgate.toml"]
